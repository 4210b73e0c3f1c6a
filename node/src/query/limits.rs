//! How much query work the node takes on at once, so that queries — free for whoever sends
//! them — cannot starve block production of CPU.
//!
//! Every query runs on a blocking thread under a permit of its [`QueryClass`]: contract
//! execution (simulations and smart queries), searches of the tx index, broadcasts, and plain
//! reads each have their own number of permits ([`QueryLimitsConfig`], `[query]` in
//! `config.toml`). A query waits at most `queue_timeout_ms` for a permit and is refused with
//! "node busy" otherwise (or at once when too many already wait); the caller gets an error after
//! `run_timeout_ms`, while the permit stays with the work until it really ends (work on a
//! blocking thread cannot be interrupted, so it keeps counting against the limit). The same
//! limits serve gRPC, ABCI `Query` and the JSON-RPC, which share one [`QueryLimits`].

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

/// What kind of work a query is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryClass {
    /// Runs contract code: `Simulate`, smart contract queries.
    Execute,
    /// Reads the tx index or many blocks: `GetTxsEvent`, `tx_search`, `blockchain`.
    Search,
    /// Hands a tx to the mempool (CheckTx).
    Broadcast,
    /// Everything else: one account, balance, block, tx.
    Read,
}

impl QueryClass {
    const ALL: [QueryClass; 4] = [QueryClass::Execute, QueryClass::Search, QueryClass::Broadcast, QueryClass::Read];

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for QueryClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QueryClass::Execute => "contract-executing (simulation or smart query)",
            QueryClass::Search => "search",
            QueryClass::Broadcast => "broadcast",
            QueryClass::Read => "read",
        })
    }
}

/// `[query]` of `config.toml`. A concurrency of 0 means "automatic" (from the number of cores).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueryLimitsConfig {
    /// Simulations and smart queries at once (0: one less than the cores, at least 1, so block
    /// production keeps a core).
    pub max_concurrent_execute: usize,
    /// Tx-index searches at once (0: half the cores, at least 1).
    pub max_concurrent_search: usize,
    pub max_concurrent_broadcast: usize,
    pub max_concurrent_read: usize,
    /// Queries waiting for a permit, per class, beyond which new ones are refused at once
    /// (a multiple of the class's permits).
    pub max_waiting_per_permit: usize,
    /// How long a query waits for a permit.
    pub queue_timeout_ms: u64,
    /// How long the caller waits for the answer.
    pub run_timeout_ms: u64,
    /// The gas a simulation may use (never more than the chain's per-tx maximum).
    pub simulate_gas_cap: u64,
    /// The most tx-index entries one search reads.
    pub max_search_scan: u64,
}

impl Default for QueryLimitsConfig {
    fn default() -> Self {
        QueryLimitsConfig {
            max_concurrent_execute: 0,
            max_concurrent_search: 0,
            max_concurrent_broadcast: 32,
            max_concurrent_read: 32,
            max_waiting_per_permit: 64,
            queue_timeout_ms: 5_000,
            run_timeout_ms: 10_000,
            simulate_gas_cap: 100_000_000,
            max_search_scan: 1_000_000,
        }
    }
}

/// Why a query was not answered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("node busy: {running} {class} queries running and {waiting} waiting; retry later")]
    Busy { class: QueryClass, running: usize, waiting: usize },
    #[error("node busy: no {class} query slot freed within {waited:?}; retry later")]
    QueueTimeout { class: QueryClass, waited: Duration },
    #[error("{class} query did not finish within {after:?}")]
    RunTimeout { class: QueryClass, after: Duration },
    #[error("query task failed: {0}")]
    Failed(String),
}

struct Class {
    permits: Arc<Semaphore>,
    size: usize,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// The node's query limits (see the module docs); shared by every server.
pub struct QueryLimits {
    classes: [Class; 4],
    queue_timeout: Duration,
    run_timeout: Duration,
    pub simulate_gas_cap: u64,
    pub max_search_scan: u64,
}

impl QueryLimits {
    pub fn new(config: &QueryLimitsConfig) -> Arc<QueryLimits> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let size = |class: QueryClass| {
            let (configured, auto) = match class {
                QueryClass::Execute => (config.max_concurrent_execute, cores.saturating_sub(1)),
                QueryClass::Search => (config.max_concurrent_search, cores / 2),
                QueryClass::Broadcast => (config.max_concurrent_broadcast, 32),
                QueryClass::Read => (config.max_concurrent_read, 32),
            };
            if configured == 0 { auto.max(1) } else { configured }
        };
        let classes = QueryClass::ALL.map(|class| {
            let n = size(class);
            Class {
                permits: Arc::new(Semaphore::new(n)),
                size: n,
                waiting: AtomicUsize::new(0),
                max_waiting: n.saturating_mul(config.max_waiting_per_permit.max(1)),
            }
        });
        Arc::new(QueryLimits {
            classes,
            queue_timeout: Duration::from_millis(config.queue_timeout_ms),
            run_timeout: Duration::from_millis(config.run_timeout_ms),
            simulate_gas_cap: config.simulate_gas_cap,
            max_search_scan: config.max_search_scan,
        })
    }

    /// Permits of a class (its concurrency).
    pub fn permits(&self, class: QueryClass) -> usize {
        self.classes[class.index()].size
    }

    /// Runs `f` on a blocking thread under a permit of `class`.
    pub async fn run<T: Send + 'static, E: Send + 'static>(
        &self,
        class: QueryClass,
        f: impl FnOnce() -> Result<T, E> + Send + 'static,
    ) -> Result<Result<T, E>, Refused> {
        let c = &self.classes[class.index()];
        let waiting = c.waiting.fetch_add(1, Ordering::AcqRel);
        let permit = if waiting >= c.max_waiting {
            Err(Refused::Busy { class, running: c.size, waiting })
        } else {
            match tokio::time::timeout(self.queue_timeout, Arc::clone(&c.permits).acquire_owned()).await {
                Ok(Ok(permit)) => Ok(permit),
                Ok(Err(_)) => Err(Refused::Failed("the node is shutting down".into())),
                Err(_) => Err(Refused::QueueTimeout { class, waited: self.queue_timeout }),
            }
        };
        c.waiting.fetch_sub(1, Ordering::AcqRel);
        let permit = permit?;
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        });
        match tokio::time::timeout(self.run_timeout, task).await {
            Ok(Ok(result)) => Ok(result),
            Ok(Err(e)) => Err(Refused::Failed(e.to_string())),
            Err(_) => Err(Refused::RunTimeout { class, after: self.run_timeout }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    fn config(execute: usize) -> QueryLimitsConfig {
        QueryLimitsConfig {
            max_concurrent_execute: execute,
            max_waiting_per_permit: 2,
            queue_timeout_ms: 200,
            run_timeout_ms: 5_000,
            ..QueryLimitsConfig::default()
        }
    }

    /// However many callers flood a class, at most its permits run at once; the callers that
    /// cannot even wait are refused at once, and none of this touches another class.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_flooded_class_runs_at_most_its_permits_and_refuses_the_rest() {
        let limits = QueryLimits::new(&config(2));
        let running = Arc::new(AtomicU32::new(0));
        let peak = Arc::new(AtomicU32::new(0));
        let mut calls = Vec::new();
        for _ in 0..20 {
            let (limits, running, peak) = (Arc::clone(&limits), Arc::clone(&running), Arc::clone(&peak));
            calls.push(tokio::spawn(async move {
                limits
                    .run(QueryClass::Execute, move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(50));
                        running.fetch_sub(1, Ordering::SeqCst);
                        Ok::<_, ()>(())
                    })
                    .await
            }));
        }
        // Another class is not held up by the flood.
        let read = limits.run(QueryClass::Read, || Ok::<_, ()>(7)).await;
        assert_eq!(read, Ok(Ok(7)));
        let mut outcomes = Vec::new();
        for c in calls {
            outcomes.push(c.await.expect("join"));
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2, "never more than the permits at once");
        let refused =
            outcomes.iter().filter(|o| matches!(o, Err(Refused::Busy { .. } | Refused::QueueTimeout { .. }))).count();
        assert!(refused > 0, "a flood of 20 against 2 permits and 4 waiting places refuses some");
        assert!(outcomes.iter().any(|o| o == &Ok(Ok(()))));
    }

    /// The caller stops waiting after the run timeout; the permit stays with the work until it
    /// ends, so the class is still full meanwhile.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_timed_out_query_keeps_its_permit_until_its_work_ends() {
        let limits = QueryLimits::new(&QueryLimitsConfig { run_timeout_ms: 50, ..config(1) });
        let slow = limits.run(QueryClass::Execute, || {
            std::thread::sleep(Duration::from_millis(400));
            Ok::<_, ()>(())
        });
        assert!(matches!(slow.await, Err(Refused::RunTimeout { .. })));
        let next = limits.run(QueryClass::Execute, || Ok::<_, ()>(())).await;
        assert!(matches!(next, Err(Refused::QueueTimeout { .. })), "{next:?}");
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(limits.run(QueryClass::Execute, || Ok::<_, ()>(())).await, Ok(Ok(())));
    }

    #[test]
    fn automatic_sizes_leave_a_core_for_blocks() {
        let limits = QueryLimits::new(&QueryLimitsConfig::default());
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        assert_eq!(limits.permits(QueryClass::Execute), cores.saturating_sub(1).max(1));
        assert_eq!(limits.permits(QueryClass::Read), 32);
    }
}
