// ServerApp: `tapistry serve` assembled — data dir lock, meta store, event store, pipeline (WAL),
// ingest and API services, router and HTTP server — plus the graceful stop order:
// stop accepting and drain requests, close the pipeline (all acks flushed), close the store.
// Thread-safety: Open/Start/Stop from one controlling thread.
#pragma once

#include <memory>
#include <string>

#include "app/config.h"
#include "common/route.h"
#include "tapistry/status.h"

namespace tapistry {

class Clock;
class Mailer;

// What tests replace: the clock sign-in and sessions use, and where sign-in mails go (null: the
// SMTP mailer of the config, if any).
struct ServerAppHooks {
  Clock* auth_clock = nullptr;
  Mailer* mailer = nullptr;
};

class ServerApp {
 public:
  static Result<std::unique_ptr<ServerApp>> Open(const Config& cfg,
                                                 const ServerAppHooks& hooks = {});
  ~ServerApp();

  Status Start();
  uint16_t port() const;
  // Where users reach this server: --public-url, else http://<listen address>.
  std::string BaseUrl() const;
  // A fresh one-time dashboard sign-in link.
  Result<std::string> SignInLink();
  // Every route the server answers (route_test walks it).
  const RouteTable& routes() const;
  // Graceful; safe to call twice.
  void Stop();

 private:
  ServerApp();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tapistry
