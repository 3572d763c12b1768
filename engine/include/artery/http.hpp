// Everything a plugin needs to serve HTTP: request/response, router, server.
#pragma once
#include <artery/http_message.hpp>
#include <artery/http_router.hpp>
#include <artery/http_server.hpp>
