//! Group commit for signing. Every commit waits for an fsync (SQLite with
//! `synchronous=FULL`, PostgreSQL with `synchronous_commit=on`), and SQLite
//! has one writer: one transaction per request tops out at a few thousand
//! requests a second. Here one writer task takes every request waiting at that
//! moment and writes them in one transaction, then answers each. A request is
//! acknowledged only after its batch is on disk. On PostgreSQL it also keeps
//! signing to one connection of the pool, so a surge cannot starve the pages
//! of connections (measured in BENCHMARKS.md).
use super::store::{self, SignError};
use super::{SignOutcome, SignatureRequest};
use crate::server::db::Db;
use tokio::sync::{mpsc, oneshot};

/// At most this many requests share one transaction: bounds the wait of the
/// first in a batch and the work lost to a failed commit.
pub const MAX_BATCH: usize = 512;

type Reply = oneshot::Sender<Result<SignOutcome, SignError>>;

struct Job {
    request: SignatureRequest,
    now: i64,
    reply: Reply,
}

#[derive(Clone, Debug)]
pub struct SignQueue {
    jobs: mpsc::Sender<Job>,
}

impl SignQueue {
    /// Starts the writer task; it ends when every `SignQueue` clone is dropped.
    pub fn start(db: Db, base_url: String) -> Self {
        let (jobs, receiver) = mpsc::channel(MAX_BATCH * 8);
        tokio::spawn(write_batches(db, base_url, receiver));
        Self { jobs }
    }

    pub async fn sign(
        &self,
        request: SignatureRequest,
        now: i64,
    ) -> Result<SignOutcome, SignError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                request,
                now,
                reply,
            })
            .await
            .map_err(|_| SignError::Database(sqlx::Error::PoolClosed))?;
        answer
            .await
            .map_err(|_| SignError::Database(sqlx::Error::PoolClosed))?
    }
}

async fn write_batches(db: Db, base_url: String, mut receiver: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // One clock reading per batch: the requests arrived together.
        let now = batch.iter().map(|job| job.now).max().unwrap_or_default();
        let (requests, replies): (Vec<SignatureRequest>, Vec<Reply>) =
            batch.drain(..).map(|job| (job.request, job.reply)).unzip();
        match store::sign_batch(&db, &requests, &base_url, now).await {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome);
                }
            }
            Err(error) => {
                tracing::error!(%error, requests = replies.len(), "signature batch not committed");
                // A database error cannot be cloned: each request gets one
                // with the message, and an unreachable database stays one
                // (503, not 500).
                let message = error.to_string();
                let unreachable = crate::server::db::unreachable(&error);
                for reply in replies {
                    let copy = if unreachable {
                        sqlx::Error::Io(std::io::Error::new(
                            std::io::ErrorKind::NotConnected,
                            message.clone(),
                        ))
                    } else {
                        sqlx::Error::Protocol(message.clone())
                    };
                    let _ = reply.send(Err(SignError::Database(copy)));
                }
            }
        }
    }
}
