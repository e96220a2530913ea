// EmbeddedEventStore::Funnel: the funnel engine (tapistry/funnel.h), on the per-session operator.
#include "store/embedded/embedded_event_store.h"
#include "tapistry/funnel.h"

namespace tapistry::store {

Result<FunnelResult> EmbeddedEventStore::Funnel(const FunnelQuery& q) {
  TAP_RETURN_IF_ERROR(ValidateFunnelQuery(q));
  return Status::Unavailable("the embedded funnel engine is being built");
}

}  // namespace tapistry::store
