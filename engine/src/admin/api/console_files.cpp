// The web console's files (web/, built into <build>/console), served at "/".
// Public: the login page has to load before anyone is logged in; everything
// it shows comes from /api, which checks the session. Paths that are not a
// file get index.html, so the console's own routes survive a reload.
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"

#include <fstream>
#include <sstream>

namespace artery::admin {
namespace {

std::string_view content_type(const std::filesystem::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  return "application/octet-stream";
}

std::optional<std::string> read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

void register_console(AdminRoutes& routes, AdminContext& context) {
  const std::filesystem::path root = context.console_dir;
  routes.add(
      "GET", "/{path...}", Access::anyone(),
      [root](const HttpRequest& request, const Principal&) {
        std::string relative = request.param("path");
        // No way out of the console's folder, whatever the path says.
        if (relative.find("..") != std::string::npos || relative.find('\0') != std::string::npos)
          return json_error(404, "not found");
        std::filesystem::path file = root / relative;
        std::error_code ec;
        const bool asset = !relative.empty() && std::filesystem::is_regular_file(file, ec);
        if (!asset) {
          if (relative.rfind("api/", 0) == 0) return json_error(404, "no such API endpoint: /" + relative);
          file = root / "index.html";
        }
        auto body = read_file(file);
        if (!body)
          return HttpResponse::text(404, "The web console is not built: run `make` (it builds web/ into " +
                                             root.string() + ").\n");
        auto response = HttpResponse::text(200, std::move(*body), content_type(file));
        // Built files carry a content hash in their names; index.html must not be cached.
        response.headers.set("Cache-Control", asset && relative.rfind("assets/", 0) == 0
                                                  ? "public, max-age=31536000, immutable"
                                                  : "no-cache");
        response.headers.set("X-Content-Type-Options", "nosniff");
        response.headers.set("Content-Security-Policy",
                             "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                             "frame-ancestors 'none'");
        return response;
      },
      {"The web console (static files; any other path gets index.html)", "console",
       {{"path", "path", "string", "a file of the console", true}}, "", "", "text/html", {404}});
}

}  // namespace artery::admin
