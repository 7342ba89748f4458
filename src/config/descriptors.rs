//! The default connection cap, from the process's descriptor limit.

pub use crate::server::RESERVED_DESCRIPTORS;

/// The default cap never goes below this, however low the descriptor limit.
pub(super) const MIN_DEFAULT_CONNECTIONS: u64 = 16;
/// Nor above this: beyond it memory, not descriptors, is what runs out.
const MAX_DEFAULT_CONNECTIONS: u64 = 16_384;

/// The soft `RLIMIT_NOFILE` less a reserve (32, or an eighth of the limit if larger), within
/// [16, 16384]. 1024 descriptors give 896 connections; `ulimit -n 64` gives 32.
pub fn default_max_connections() -> usize {
    let soft = rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft);
    let reserve = RESERVED_DESCRIPTORS.max(soft / 8);
    let cap = soft
        .saturating_sub(reserve)
        .clamp(MIN_DEFAULT_CONNECTIONS, MAX_DEFAULT_CONNECTIONS);
    usize::try_from(cap).unwrap_or(usize::MAX)
}
