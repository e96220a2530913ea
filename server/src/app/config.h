// Config: every setting of `tapistry serve` and the admin commands, from (highest first) flags,
// TAPISTRY_* environment variables, a config file (`key = value` lines, same names as the flags
// without "--"), then defaults. `tapistry --help` prints kFlagDocs.
// Thread-safety: plain value type.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tapistry/status.h"

namespace tapistry {

struct FlagDoc {
  const char* name;
  const char* arg;
  const char* default_value;
  const char* help;
};
extern const std::vector<FlagDoc> kFlagDocs;

struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string public_url;  // printed in links; "" = http://<listen>
  std::string data = "./data";
  // Store URLs (app/store_factory.h); empty = the default place under `data`.
  std::string event_store;
  std::string meta_store;
  std::string blob_store;
  int threads = 2;
  std::string log_level = "info";
  std::vector<std::string> trusted_proxies;
  std::string country_header;
  std::string geoip_dir = "/usr/share/GeoIP";
  int64_t memtable_rows = 1 << 19;
  int64_t memtable_max_age_ms = 5000;
  int64_t max_pending_mb = 64;
  int64_t min_free_disk_mb = 512;
  double rate_project_rps = 2000;
  double rate_ip_rps = 200;
  double rate_session_eps = 60;
  int drain_ms = 10000;
  int header_timeout_ms = 10000;
  int body_timeout_ms = 30000;
  int64_t max_conns_per_ip = 256;  // 0 = no cap; --trusted-proxies are exempt
  bool demo = true;                // create the Demo project on first start and serve /demo/
  // Users and sign-in (docs/accounts.md).
  std::string owner_email;  // the owner's address, for sign-in by email
  int64_t session_idle_minutes = 30;
  int64_t session_max_hours = 12;
  std::string smtp_host;  // "" = no SMTP: sign-in links go to the server log
  int64_t smtp_port = 587;
  std::string smtp_user;
  std::string smtp_password;
  std::string smtp_tls = "starttls";
  std::string smtp_from;

  std::string EventStoreUrl() const { return event_store.empty() ? data + "/events" : event_store; }
  std::string MetaStoreUrl() const { return meta_store.empty() ? data + "/meta.db" : meta_store; }
  std::string BlobStoreUrl() const { return blob_store.empty() ? data + "/blobs" : blob_store; }
  std::string Host() const;
  uint16_t Port() const;
};

struct ParsedArgs {
  std::vector<std::string> positional;                    // subcommand words and files
  std::map<std::string, std::vector<std::string>> flags;  // repeated flags keep every value
};

// Splits argv into flags (--name value, --name=value, --bool) and positional words.
Status ParseArgs(int argc, char** argv, const std::vector<std::string>& bool_flags,
                 ParsedArgs* out);

// Builds a Config from the parsed flags, the environment and --config FILE. Unknown flags are an
// error naming the flag.
Status LoadConfig(const ParsedArgs& args, Config* cfg);

std::string HelpText();

}  // namespace tapistry
