//! Verified API keys kept in the process, so that a signal's key costs no query: every instance listens on
//! `quantarya_api_keys`, which a trigger notifies (with the key's id) whenever a key row is deleted or changes
//! owner or hash (a revocation, an account deletion's cascade), and forgets the key at once. While the listening
//! connection is down the cache is bypassed, and it starts empty each time the connection is back, since
//! notifications sent meanwhile are lost.
//!
//! A lookup that raced an invalidation never caches what it read: each invalidation moves a generation on, and a
//! key read from the database is admitted only if the generation it was read under is still current.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use moka::notification::RemovalCause;
use moka::sync::Cache;
use quantarya_domain::{ApiKey, ApiKeyHash, ApiKeyId, Timestamp};
use quantarya_ports::metrics;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

/// The channel the trigger of migration `…_api_key_notifications` notifies.
const CHANNEL: &str = "quantarya_api_keys";

/// The most keys kept; beyond it the least useful are evicted (and simply read again).
const CAPACITY: u64 = 100_000;

/// How long a key is kept at most even if no notification says so: a bound on any staleness a lost notification
/// could cause while the connection still looked alive.
const TIME_TO_LIVE: Duration = Duration::from_secs(600);

/// A cached key, with the number of the admission that cached it.
#[derive(Debug, Clone)]
struct Admitted {
    key: ApiKey,
    admission: u64,
}

/// The in-process cache of verified keys.
pub(crate) struct KeyCache {
    keys: Cache<ApiKeyHash, Admitted>,
    /// The hash of each cached key's id (and the admission that put it there), so a notification (which names the
    /// id) finds it. An entry leaves with its admission (the cache's eviction listener, which may run late, so it
    /// removes only its own admission's entry): every cached key is found here.
    hashes: Arc<Mutex<HashMap<ApiKeyId, (ApiKeyHash, u64)>>>,
    /// Numbers admissions.
    admissions: std::sync::atomic::AtomicU64,
    /// When this instance last recorded each key's use: kept apart from the cached keys, so that recording a use
    /// never re-inserts a key (which would restart its time to live and race its eviction).
    uses: Cache<ApiKeyId, Timestamp>,
    /// Moves on with every invalidation; guards the admission of keys read from the database.
    generation: Mutex<u64>,
    /// Whether the listening connection is up: only then is the cache trusted.
    listening: AtomicBool,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache").field("listening", &self.is_listening()).finish_non_exhaustive()
    }
}

impl KeyCache {
    fn new() -> Self {
        let hashes: Arc<Mutex<HashMap<ApiKeyId, (ApiKeyHash, u64)>>> = Arc::default();
        let evicted = hashes.clone();
        let keys = Cache::builder()
            .max_capacity(CAPACITY)
            .time_to_live(TIME_TO_LIVE)
            .eviction_listener(move |_hash, gone: Admitted, cause| {
                if cause == RemovalCause::Replaced {
                    return;
                }
                let mut hashes = evicted.lock().unwrap_or_else(PoisonError::into_inner);
                if hashes.get(&gone.key.id).is_some_and(|(_, admission)| *admission == gone.admission) {
                    hashes.remove(&gone.key.id);
                }
            })
            .build();
        Self {
            keys,
            hashes,
            admissions: std::sync::atomic::AtomicU64::new(0),
            uses: Cache::builder().max_capacity(CAPACITY).time_to_live(TIME_TO_LIVE).build(),
            generation: Mutex::new(0),
            listening: AtomicBool::new(false),
        }
    }

    fn generation(&self) -> std::sync::MutexGuard<'_, u64> {
        self.generation.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn hashes(&self) -> std::sync::MutexGuard<'_, HashMap<ApiKeyId, (ApiKeyHash, u64)>> {
        self.hashes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the cache is trusted now.
    pub(crate) fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// The cached key with `hash`, if the cache is trusted and holds it.
    pub(crate) fn get(&self, hash: &ApiKeyHash) -> Option<ApiKey> {
        let cached = self.is_listening().then(|| self.keys.get(hash)).flatten();
        let Some(Admitted { mut key, .. }) = cached else {
            metrics::key_cache_lookup(false);
            return None;
        };
        metrics::key_cache_lookup(true);
        self.add_use(&mut key);
        Some(key)
    }

    /// Brings `key`'s `last_used_at` up to the latest use this instance recorded, which reaches the database
    /// off the request's path.
    pub(crate) fn add_use(&self, key: &mut ApiKey) {
        if let Some(used) = self.uses.get(&key.id) {
            key.last_used_at = key.last_used_at.max(Some(used));
        }
    }

    /// The generation a database read starts under, if the cache is trusted.
    pub(crate) fn ticket(&self) -> Option<u64> {
        self.is_listening().then(|| *self.generation())
    }

    /// Keeps `key`, read under `ticket`, unless an invalidation came in between or the cache stopped being trusted.
    pub(crate) fn admit(&self, ticket: u64, key: &ApiKey) {
        let generation = self.generation();
        if *generation == ticket && self.is_listening() {
            let admission = self.admissions.fetch_add(1, Ordering::SeqCst);
            let replaced = self.hashes().insert(key.id, (key.hash, admission));
            // A key is cached under one hash only: one it had before is forgotten.
            if let Some((old, _)) = replaced.filter(|(old, _)| *old != key.hash) {
                self.keys.invalidate(&old);
                metrics::key_cache_invalidated(1);
            }
            self.keys.insert(key.hash, Admitted { key: key.clone(), admission });
        }
    }

    /// Forgets the key with `id` (a notification, or this instance's own revocation).
    pub(crate) fn forget(&self, id: ApiKeyId) {
        let mut generation = self.generation();
        *generation += 1;
        // Released before the cache is touched: its eviction listener takes the same lock.
        let hash = self.hashes().remove(&id);
        if let Some((hash, _)) = hash {
            self.keys.invalidate(&hash);
            metrics::key_cache_invalidated(1);
        }
    }

    /// Forgets every key (an account deletion here, or notifications that may have been lost).
    pub(crate) fn forget_all(&self) {
        let mut generation = self.generation();
        *generation += 1;
        self.keys.invalidate_all();
        let mut hashes = self.hashes();
        metrics::key_cache_invalidated(u64::try_from(hashes.len()).unwrap_or(u64::MAX));
        hashes.clear();
    }

    /// Records that the key with `id` was used at `at`, so that the cached key says so too.
    pub(crate) fn touched(&self, id: ApiKeyId, at: Timestamp) {
        self.uses.insert(id, at);
    }

    /// Trusts the cache from now on (the connection listens), or stops trusting it. Either way it starts empty:
    /// whatever was cached may have changed while nobody listened. Distrust comes before the flush, and the flush
    /// before trust, so no key read while not listening is ever admitted.
    fn set_listening(&self, listening: bool) {
        if !listening {
            self.listening.store(false, Ordering::SeqCst);
        }
        self.forget_all();
        if listening {
            self.listening.store(true, Ordering::SeqCst);
        }
    }
}

/// Stops the listener when the last clone of its store is dropped.
#[derive(Debug)]
pub(crate) struct Listener(JoinHandle<()>);

impl Drop for Listener {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A cache kept current by a listening connection made from `config` on `runtime`, reconnecting (with the cache
/// bypassed) whenever the connection is lost.
pub(crate) fn start(config: tokio_postgres::Config, runtime: &Handle) -> (Arc<KeyCache>, Listener) {
    let cache = Arc::new(KeyCache::new());
    let listening = cache.clone();
    let task = runtime.spawn(async move {
        let mut backoff = Duration::from_millis(100);
        loop {
            match listen(&config, &listening).await {
                Ok(()) => {
                    tracing::warn!("the API key listener's connection closed; keys are read from the database");
                    // It had been listening: the next attempt starts from the shortest wait again.
                    backoff = Duration::from_millis(100);
                }
                Err(error) => {
                    tracing::warn!(%error, "the API key listener cannot listen; keys are read from the database")
                }
            }
            listening.set_listening(false);
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    });
    (cache, Listener(task))
}

/// Listens until the connection ends, forgetting each notified key.
async fn listen(config: &tokio_postgres::Config, cache: &KeyCache) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(tokio_postgres::NoTls).await?;
    let (notified, mut notifications) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(tokio_postgres::AsyncMessage::Notification(n)) => {
                    if notified.send(n.payload().to_owned()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    cache.set_listening(true);
    while let Some(payload) = notifications.recv().await {
        match payload.parse::<quantarya_domain::uuid::Uuid>() {
            Ok(id) => cache.forget(ApiKeyId::from_uuid(id)),
            // Not a key id: forget everything rather than guess.
            Err(_) => cache.forget_all(),
        }
    }
    drop(client);
    match driver.await {
        Ok(result) => result,
        Err(_) => Ok(()),
    }
}
