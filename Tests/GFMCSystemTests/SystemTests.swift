import Testing

/// Every system test starts real `gfmc` processes on a 2-core machine, so they run one at a time: the suites in the
/// other files extend this one and inherit `.serialized`.
@Suite("gfmc system tests (real processes)", .serialized)
struct SystemTests {}
