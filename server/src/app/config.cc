#include "app/config.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace tapistry {

const std::vector<FlagDoc> kFlagDocs = {
    {"listen", "HOST:PORT", "127.0.0.1:8080",
     "address the HTTP server binds (use 0.0.0.0:8080 behind a load balancer)"},
    {"public-url", "URL", "",
     "the URL users reach this server at, used in printed links (e.g. "
     "https://analytics.example.com)"},
    {"data", "DIR", "./data", "data directory: events/, wal/, blobs/, meta.db"},
    {"event-store", "URL", "",
     "where events are stored: file:///path or a path (default DIR/events; clickhouse:// not built "
     "in yet)"},
    {"meta-store", "URL", "",
     "where projects and settings are stored: file:///path/meta.db or a path (default DIR/meta.db; "
     "postgres:// not built in yet)"},
    {"blob-store", "URL", "",
     "where page snapshots are stored: file:///path or a path (default DIR/blobs; s3:// not built "
     "in yet)"},
    {"config", "FILE", "",
     "read settings from FILE (key = value lines, same names as these flags)"},
    {"threads", "N", "2", "HTTP I/O threads"},
    {"log-level", "LEVEL", "info", "debug, info, warn or error (JSON lines on stderr)"},
    {"trusted-proxies", "IP,IP", "",
     "peers whose X-Forwarded-For (and --country-header) are believed"},
    {"country-header", "NAME", "",
     "request header with an ISO country code set by a trusted proxy (e.g. CF-IPCountry)"},
    {"geoip-dir", "DIR", "/usr/share/GeoIP",
     "where GeoIP.dat / GeoIPv6.dat live (Debian's geoip-database)"},
    {"memtable-rows", "N", "524288", "flush the in-memory table to a segment at this many rows"},
    {"memtable-max-age-ms", "MS", "5000", "... or when its oldest row is this old"},
    {"max-pending-mb", "MB", "64",
     "events waiting for the WAL fsync beyond this: 503 + Retry-After"},
    {"min-free-disk-mb", "MB", "512", "free disk below this on the data volume: 503 + Retry-After"},
    {"rate-project-rps", "N", "2000", "POST /i requests per second per project (spec §18)"},
    {"rate-ip-rps", "N", "200", "POST /i requests per second per client IP"},
    {"rate-session-eps", "N", "60", "events per second per session"},
    {"demo", "true|false", "true",
     "create a Demo project on first start and serve the demo site at /demo/"},
    {"drain-ms", "MS", "10000", "on SIGTERM, how long in-flight requests may take to finish"},
    {"header-timeout-ms", "MS", "10000", "time a client has to send its request headers"},
    {"body-timeout-ms", "MS", "30000", "time a client has to send its request body"},
    {"max-conns-per-ip", "N", "256",
     "open connections per client IP; more get 503 and are closed (0 = no cap; --trusted-proxies "
     "are exempt)"},
    {"owner-email", "EMAIL", "",
     "the owner's email: the owner (created on the first start) can then also sign in by email"},
    {"session-idle-minutes", "N", "30",
     "a dashboard session ends after this long without a request (sliding)"},
    {"session-max-hours", "N", "12", "... and this long after sign-in, whatever happens"},
    {"smtp-host", "HOST", "",
     "SMTP server for sign-in links (none: links go to the server log; needs --public-url)"},
    {"smtp-port", "N", "587", "SMTP port (587 for starttls, 465 for tls)"},
    {"smtp-user", "USER", "", "SMTP AUTH user (none: no AUTH)"},
    {"smtp-password", "PASSWORD", "",
     "SMTP AUTH password (prefer TAPISTRY_SMTP_PASSWORD or --config: flags show in ps)"},
    {"smtp-tls", "MODE", "starttls",
     "starttls (required), tls (implicit, port 465) or none (a relay on this machine only)"},
    {"smtp-from", "EMAIL", "", "the address sign-in mails come from (required with --smtp-host)"},
};

std::string Config::Host() const {
  size_t c = listen.rfind(':');
  std::string h = c == std::string::npos ? listen : listen.substr(0, c);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  return h.empty() ? "0.0.0.0" : h;
}

uint16_t Config::Port() const {
  size_t c = listen.rfind(':');
  if (c == std::string::npos) return 0;
  int p = 0;
  auto s = std::string_view(listen).substr(c + 1);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), p);
  if (ec != std::errc() || p < 0 || p > 65535) return 0;
  return static_cast<uint16_t>(p);
}

Status ParseArgs(int argc, char** argv, const std::vector<std::string>& bool_flags,
                 ParsedArgs* out) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.starts_with("--") && a.size() > 2) {
      std::string name = a.substr(2), value;
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      } else if (std::find(bool_flags.begin(), bool_flags.end(), name) != bool_flags.end()) {
        value = "true";
      } else {
        if (i + 1 >= argc) return Status::InvalidArgument("--" + name + " needs a value");
        value = argv[++i];
      }
      out->flags[name].push_back(value);
    } else {
      out->positional.push_back(a);
    }
  }
  return Status::Ok();
}

namespace {

Status SetInt(const std::string& name, const std::string& v, int64_t* out) {
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
  if (ec != std::errc() || p != v.data() + v.size())
    return Status::InvalidArgument("--" + name + ": '" + v + "' is not a number");
  return Status::Ok();
}

std::vector<std::string> SplitList(const std::string& v) {
  std::vector<std::string> out;
  std::stringstream ss(v);
  std::string item;
  while (std::getline(ss, item, ',')) {
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

Status Apply(const std::string& name, const std::string& v, Config* c) {
  int64_t n = 0;
  auto num = [&](auto* field) -> Status {
    TAP_RETURN_IF_ERROR(SetInt(name, v, &n));
    *field = static_cast<std::remove_pointer_t<decltype(field)>>(n);
    return Status::Ok();
  };
  if (name == "listen") c->listen = v;
  else if (name == "data") c->data = v;
  else if (name == "event-store") c->event_store = v;
  else if (name == "meta-store") c->meta_store = v;
  else if (name == "blob-store") c->blob_store = v;
  else if (name == "public-url") {
    c->public_url = v;
    while (!c->public_url.empty() && c->public_url.back() == '/') c->public_url.pop_back();
  } else if (name == "threads") return num(&c->threads);
  else if (name == "log-level") c->log_level = v;
  else if (name == "trusted-proxies") c->trusted_proxies = SplitList(v);
  else if (name == "country-header") {
    c->country_header = v;
    for (char& ch : c->country_header)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  } else if (name == "geoip-dir") c->geoip_dir = v;
  else if (name == "memtable-rows") return num(&c->memtable_rows);
  else if (name == "memtable-max-age-ms") return num(&c->memtable_max_age_ms);
  else if (name == "max-pending-mb") return num(&c->max_pending_mb);
  else if (name == "min-free-disk-mb") return num(&c->min_free_disk_mb);
  else if (name == "rate-project-rps") return num(&c->rate_project_rps);
  else if (name == "rate-ip-rps") return num(&c->rate_ip_rps);
  else if (name == "rate-session-eps") return num(&c->rate_session_eps);
  else if (name == "drain-ms") return num(&c->drain_ms);
  else if (name == "demo") {
    if (v != "true" && v != "false") return Status::InvalidArgument("--demo must be true or false");
    c->demo = v == "true";
  } else if (name == "header-timeout-ms") return num(&c->header_timeout_ms);
  else if (name == "body-timeout-ms") return num(&c->body_timeout_ms);
  else if (name == "max-conns-per-ip") return num(&c->max_conns_per_ip);
  else if (name == "owner-email") c->owner_email = v;
  else if (name == "session-idle-minutes") return num(&c->session_idle_minutes);
  else if (name == "session-max-hours") return num(&c->session_max_hours);
  else if (name == "smtp-host") c->smtp_host = v;
  else if (name == "smtp-port") return num(&c->smtp_port);
  else if (name == "smtp-user") c->smtp_user = v;
  else if (name == "smtp-password") c->smtp_password = v;
  else if (name == "smtp-tls") c->smtp_tls = v;
  else if (name == "smtp-from") c->smtp_from = v;
  else return Status::InvalidArgument("unknown setting --" + name + " (see tapistry --help)");
  return Status::Ok();
}

std::string EnvName(const std::string& flag) {
  std::string e = "TAPISTRY_";
  for (char ch : flag)
    e.push_back(ch == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  return e;
}

}  // namespace

Status LoadConfig(const ParsedArgs& args, Config* cfg) {
  // 1. config file
  std::string file;
  if (auto it = args.flags.find("config"); it != args.flags.end()) file = it->second.back();
  else if (const char* e = std::getenv("TAPISTRY_CONFIG")) file = e;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return Status::InvalidArgument("cannot read config file " + file);
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
      ++lineno;
      size_t hash = line.find('#');
      if (hash != std::string::npos) line.resize(hash);
      size_t eq = line.find('=');
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      if (eq == std::string::npos)
        return Status::InvalidArgument(file + ":" + std::to_string(lineno) +
                                       ": expected key = value");
      auto trim = [](std::string s) {
        s.erase(0, s.find_first_not_of(" \t\r"));
        s.erase(s.find_last_not_of(" \t\r") + 1);
        return s;
      };
      Status s = Apply(trim(line.substr(0, eq)), trim(line.substr(eq + 1)), cfg);
      if (!s.ok())
        return Status::InvalidArgument(file + ":" + std::to_string(lineno) + ": " + s.message());
    }
  }
  // 2. environment
  for (const FlagDoc& d : kFlagDocs) {
    if (std::string(d.name) == "config") continue;
    if (const char* e = std::getenv(EnvName(d.name).c_str()))
      TAP_RETURN_IF_ERROR(Apply(d.name, e, cfg));
  }
  // 3. flags
  for (const auto& [name, values] : args.flags) {
    if (name == "config") continue;
    for (const std::string& v : values) TAP_RETURN_IF_ERROR(Apply(name, v, cfg));
  }
  if (cfg->Port() == 0 && cfg->listen.find(":0") == std::string::npos) {
    return Status::InvalidArgument("--listen must be HOST:PORT, got '" + cfg->listen + "'");
  }
  if (cfg->threads < 1 || cfg->threads > 64)
    return Status::InvalidArgument("--threads must be 1..64");
  if (cfg->session_idle_minutes < 1 || cfg->session_max_hours < 1)
    return Status::InvalidArgument(
        "--session-idle-minutes and --session-max-hours must be 1 or more");
  if (cfg->max_conns_per_ip < 0)
    return Status::InvalidArgument("--max-conns-per-ip must be 0 (no cap) or more");
  return Status::Ok();
}

std::string HelpText() {
  std::string s =
      "tapistry — privacy-first web analytics in one binary\n\n"
      "Usage:\n"
      "  tapistry serve [flags]                               run the server\n"
      "  tapistry project create --data DIR --name NAME [--origin URL]...\n"
      "                                                       create a project; prints JSON\n"
      "                                                       "
      "{\"project_id\",\"public_key\",\"read_token\"}\n"
      "  tapistry project list --data DIR                     list projects as JSON\n"
      "  tapistry project settings --data DIR --project ID [--retention-days N] "
      "[--rate-project-rps N]\n"
      "      [--rate-ip-rps N] [--rate-session-eps N] [--store-raw-ua true|false]\n"
      "      [--respect-dnt true|false] [--respect-gpc true|false]   (drop requests sent with\n"
      "      DNT: 1 / Sec-GPC: 1 on /i, /s and /r: docs/privacy.md)\n"
      "      [--replay-sample-rate 0..1] [--replay-session-kb N] [--replay-retention-days N]\n"
      "      [--replay-allow SEL]... "
      "[--replay-mask SEL]...\n"
      "      [--replay-ignore SEL]...   (session replay: docs/replay.md; SEL \"-\" clears a list)\n"
      "      [--event-sample-rate 0..1] [--require-consent true|false] [--cookieless true|false]\n"
      "      [--path-rule /product/:id]...   (settings reference: docs/settings.md)\n"
      "      [--query-allowlist utm_source,utm_medium,...] [--origin URL]... ('--origin *' = any)\n"
      "                                                       change a project's settings (0 = "
      "server default;\n"
      "                                                       a running server picks them up "
      "within 5 s)\n"
      "  tapistry project token --data DIR --project ID [--revoke-others]\n"
      "                                                       a new read token (JSON "
      "{\"project_id\",\"read_token\",\"revoked\"});\n"
      "                                                       --revoke-others ends every other "
      "read token at once\n"
      "  tapistry project rotate-key --data DIR --project ID  a new public key; a running server "
      "refuses the old\n"
      "                                                       one within 5 s (update the snippet "
      "on your site)\n"
      "  tapistry signin-link --data DIR [--public-url URL]   print a one-time dashboard sign-in "
      "link\n"
      "  tapistry user add --data DIR --email EMAIL           a user who may sign in by email "
      "(JSON\n"
      "                                                       {\"user_id\",\"email\"}); "
      "docs/accounts.md\n"
      "  tapistry user list --data DIR                        users as JSON (the owner marked)\n"
      "  tapistry signout-all --data DIR                      end every dashboard session (a "
      "running server\n"
      "                                                       refuses them at once); sign in again "
      "with a new link\n"
      "  tapistry import --data DIR --project ID FILE.ndjson...\n"
      "                                                       bulk-load events "
      "(docs/wire-format.md);\n"
      "                                                       run while the server is stopped\n"
      "  tapistry version | --help\n"
      "  (project, signin-link and signout-all also take --meta-store URL, import --meta-store "
      "and\n"
      "  --event-store URL: give them the same URLs as serve when you moved a store off --data)\n\n"
      "Flags of serve (also TAPISTRY_<NAME> environment variables, e.g. TAPISTRY_LISTEN, or\n"
      "`name = value` lines in --config FILE; flags win over the environment, which wins over the "
      "file):\n";
  for (const FlagDoc& d : kFlagDocs) {
    std::string left = std::string("  --") + d.name + " " + d.arg;
    if (left.size() < 34) left.resize(34, ' ');
    s += left + " " + d.help;
    if (d.default_value[0]) s += std::string(" [") + d.default_value + "]";
    s += "\n";
  }
  s += "\nDocs: README.md, docs/ (operations, wire format, performance).\n";
  return s;
}

}  // namespace tapistry
