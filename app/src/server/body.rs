//! Reading a whole response body, for the middlewares that look at a page
//! once it is rendered (islands, render cache).
use axum::body::{Body, Bytes};
use futures_util::StreamExt;

/// The whole body, or — when it breaks mid-way or grows past `largest` — a
/// body that gives exactly what the original would have: what was read, then
/// the rest or the error.
pub async fn read_whole(body: Body, largest: usize) -> Result<Bytes, Body> {
    let mut stream = body.into_data_stream();
    let mut read = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => read.extend_from_slice(&chunk),
            Err(error) => {
                let broken = futures_util::stream::iter([Ok(Bytes::from(read)), Err(error)]);
                return Err(Body::from_stream(broken));
            }
        }
        if read.len() > largest {
            let head = futures_util::stream::once(async { Ok(Bytes::from(read)) });
            return Err(Body::from_stream(head.chain(stream)));
        }
    }
    Ok(Bytes::from(read))
}
