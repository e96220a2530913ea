#include "common/reply.h"

#include "common/json_writer.h"

namespace tapistry {

Reply JsonError(int status, std::string_view code, std::string_view reason) {
  Reply r;
  r.status = status;
  JsonWriter w;
  w.BeginObject().Key("error").String(code).Key("reason").String(reason).EndObject();
  r.body = w.Take();
  return r;
}

}  // namespace tapistry
