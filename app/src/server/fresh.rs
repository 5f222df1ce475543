//! A small in-process cache for values many readers poll (a live count):
//! each key is read from the database at most once per `max_age`, however
//! many requests ask, and no answer is older than that. Readers of a key
//! that is being refreshed wait for that one read instead of making their
//! own, and take its value even if it took long: an answer is never older
//! than `max_age` at the time its request came. With a `max_age` of zero a
//! reader takes only a value whose read began after it came: never stale,
//! and the readers who came during one read share the next. The number of keys is bounded: past `capacity` the cache starts
//! empty again (every value is at most `max_age` from a reload anyway).
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Slot<V> = Arc<tokio::sync::Mutex<Option<(Instant, V)>>>;

#[derive(Clone)]
pub struct Fresh<V> {
    max_age: Duration,
    capacity: usize,
    slots: Arc<Mutex<HashMap<String, Slot<V>>>>,
}

impl<V> std::fmt::Debug for Fresh<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fresh")
            .field("max_age", &self.max_age)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl<V: Clone> Fresh<V> {
    pub fn new(max_age: Duration, capacity: usize) -> Self {
        Fresh {
            max_age,
            capacity: capacity.max(1),
            slots: Arc::default(),
        }
    }

    /// The value of `key`, from `load` if the one held is older than
    /// `max_age` (its age counts from when its read began).
    pub async fn get<E, F, Fut>(&self, key: &str, load: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let arrived = Instant::now();
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            match slots.get(key) {
                Some(slot) => slot.clone(),
                None => {
                    if slots.len() >= self.capacity {
                        slots.clear();
                    }
                    slots.entry(key.to_owned()).or_default().clone()
                }
            }
        };
        let mut held = slot.lock().await;
        if let Some((read_at, value)) = held.as_ref() {
            // Fresh when this reader came: waiting for the lock, or for a
            // slow read, does not make a reader read again.
            if *read_at >= arrived || arrived.duration_since(*read_at) < self.max_age {
                return Ok(value.clone());
            }
        }
        let read_at = Instant::now();
        let value = load().await?;
        *held = Some((read_at, value.clone()));
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_value_is_read_once_per_max_age_and_never_older() {
        let cache: Fresh<usize> = Fresh::new(Duration::from_millis(50), 10);
        let reads = AtomicUsize::new(0);
        let load = || async { Ok::<_, ()>(reads.fetch_add(1, Ordering::SeqCst) + 1) };
        let answers =
            futures_util::future::join_all((0..100).map(|_| cache.get("count", load))).await;
        assert!(
            answers.iter().all(|a| *a == Ok(1)),
            "a hundred readers, one read"
        );
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(
            cache.get("count", load).await,
            Ok(2),
            "read again once too old"
        );
        assert_eq!(cache.get("other", load).await, Ok(3), "each key on its own");
    }

    #[tokio::test]
    async fn readers_who_waited_for_a_slow_read_take_its_value() {
        let cache: Fresh<usize> = Fresh::new(Duration::from_millis(10), 10);
        let reads = AtomicUsize::new(0);
        let slow = || async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            Ok::<_, ()>(reads.fetch_add(1, Ordering::SeqCst) + 1)
        };
        let answers =
            futures_util::future::join_all((0..20).map(|_| cache.get("count", slow))).await;
        assert!(answers.iter().all(|a| *a == Ok(1)), "{answers:?}");
        assert_eq!(
            reads.load(Ordering::SeqCst),
            1,
            "one read, not one after the other"
        );
    }

    #[tokio::test]
    async fn with_no_max_age_readers_share_a_read_that_began_after_they_came() {
        let cache: Fresh<usize> = Fresh::new(Duration::ZERO, 1);
        let reads = AtomicUsize::new(0);
        let slow = || async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            Ok::<_, ()>(reads.fetch_add(1, Ordering::SeqCst) + 1)
        };
        let first = cache.get("version", slow);
        let later = async {
            // Came while the first read was under way: it may have missed
            // a change made before they came, so they wait for the next.
            tokio::time::sleep(Duration::from_millis(10)).await;
            futures_util::future::join_all((0..20).map(|_| cache.get("version", slow))).await
        };
        let (first, later) = tokio::join!(first, later);
        assert_eq!(first, Ok(1));
        assert!(later.iter().all(|a| *a == Ok(2)), "{later:?}");
        assert_eq!(reads.load(Ordering::SeqCst), 2, "one read for the twenty");
        assert_eq!(
            cache.get("version", slow).await,
            Ok(3),
            "and none is kept for later"
        );
    }

    #[tokio::test]
    async fn past_its_capacity_the_cache_starts_again() {
        let cache: Fresh<u32> = Fresh::new(Duration::from_secs(60), 2);
        for key in ["a", "b", "c", "d"] {
            cache.get(key, || async { Ok::<_, ()>(1) }).await.unwrap();
        }
        assert!(cache.slots.lock().unwrap().len() <= 2);
    }
}
