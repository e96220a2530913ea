// ParallelFor: runs fn(0..n-1) on a process-wide pool of (cores - 1) worker threads plus the
// calling thread. Queries split work by partition source; a tiny pool is enough on this class of
// machine and avoids thread start-up on every query.
// Thread-safety: ParallelFor may be called from many threads at once; calls share the workers.
// fn must not call ParallelFor (no nested parallelism) and must not throw.
#pragma once

#include <cstddef>
#include <functional>

namespace tapistry::store {

void ParallelFor(size_t n, const std::function<void(size_t)>& fn);
// Worker threads plus the caller.
size_t ParallelismDegree();

}  // namespace tapistry::store
