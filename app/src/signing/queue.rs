//! Group commit for signing and confirming. Every commit waits for an fsync
//! (SQLite with `synchronous=FULL`, PostgreSQL with `synchronous_commit=on`),
//! and SQLite has one writer: one transaction per request tops out at a few
//! thousand requests a second, and far fewer while others write (a day of
//! fame's 500 confirmations a second held signing's p99 at 300 ms, issue 27).
//! Here one writer task per kind takes every request waiting at that moment
//! and writes them in one transaction, then answers each. A request is
//! acknowledged only after its batch is on disk. On PostgreSQL it also keeps
//! signing to a connection or two of the pool, so a surge cannot starve the
//! pages of connections (measured in BENCHMARKS.md).
use super::store::{self, SignError};
use super::{SignOutcome, SignatureRequest, TokenOutcome};
use crate::server::db::Db;
use std::future::Future;
use tokio::sync::{mpsc, oneshot};

/// At most this many requests share one transaction: bounds the wait of the
/// first in a batch and the work lost to a failed commit.
pub const MAX_BATCH: usize = 512;

type Reply<O> = oneshot::Sender<Result<O, SignError>>;

struct Job<J, O> {
    request: J,
    now: i64,
    reply: Reply<O>,
}

#[derive(Clone, Debug)]
pub struct SignQueue {
    signatures: mpsc::Sender<Job<SignatureRequest, SignOutcome>>,
    confirmations: mpsc::Sender<Job<String, TokenOutcome>>,
}

impl SignQueue {
    /// Starts the writer tasks; they end when every `SignQueue` clone is dropped.
    pub fn start(db: Db, base_url: String) -> Self {
        let (signatures, receiver) = mpsc::channel(MAX_BATCH * 8);
        let (sign_db, sign_url) = (db.clone(), base_url.clone());
        tokio::spawn(write_batches(receiver, move |requests, now| {
            let (db, url) = (sign_db.clone(), sign_url.clone());
            async move { store::sign_batch(&db, &requests, &url, now).await }
        }));
        let (confirmations, receiver) = mpsc::channel(MAX_BATCH * 8);
        tokio::spawn(write_batches(receiver, move |tokens, now| {
            let (db, url) = (db.clone(), base_url.clone());
            async move { store::confirm_batch(&db, &tokens, &url, now).await }
        }));
        Self {
            signatures,
            confirmations,
        }
    }

    pub async fn sign(
        &self,
        request: SignatureRequest,
        now: i64,
    ) -> Result<SignOutcome, SignError> {
        ask(&self.signatures, request, now).await
    }

    /// Confirms the signature behind a mailed token (`store::confirm`).
    pub async fn confirm(&self, token: String, now: i64) -> Result<TokenOutcome, SignError> {
        ask(&self.confirmations, token, now).await
    }
}

async fn ask<J, O>(queue: &mpsc::Sender<Job<J, O>>, request: J, now: i64) -> Result<O, SignError> {
    let (reply, answer) = oneshot::channel();
    queue
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

/// Takes every request waiting, writes them with `write` in one transaction
/// and answers each, until every sender is gone.
async fn write_batches<J, O, W, F>(mut receiver: mpsc::Receiver<Job<J, O>>, write: W)
where
    W: Fn(Vec<J>, i64) -> F,
    F: Future<Output = Result<Vec<Result<O, SignError>>, sqlx::Error>>,
{
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // One clock reading per batch: the requests arrived together.
        let now = batch.iter().map(|job| job.now).max().unwrap_or_default();
        let (requests, replies): (Vec<J>, Vec<Reply<O>>) =
            batch.drain(..).map(|job| (job.request, job.reply)).unzip();
        match write(requests, now).await {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome);
                }
            }
            Err(error) => {
                tracing::error!(%error, requests = replies.len(), "batch not committed");
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
