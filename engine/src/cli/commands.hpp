#pragma once

namespace artery::cli {
int main(int argc, char** argv);
}
