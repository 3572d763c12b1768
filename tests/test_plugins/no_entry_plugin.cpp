// A shared library that is not an Artery plugin (no artery_plugin_v1).
extern "C" __attribute__((visibility("default"))) int something_else() { return 42; }
