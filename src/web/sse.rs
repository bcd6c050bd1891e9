//! A presence stream as server-sent events, for API clients and the live board alike:
//! `event: snapshot` (everyone, the shape of `GET /api/v1/presence`) or the replayed events,
//! then `event: presence` per change, `id:` the tenant's event number, a comment every 15 s.

use std::time::Duration;

use actix_web::HttpRequest;
use actix_web_lab::sse;
use futures_util::stream::{self, Stream, StreamExt};

use crate::services::AppState;
use crate::services::stream::{Start, Subscription};

pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How long a browser waits before reconnecting.
const RETRY: Duration = Duration::from_secs(2);

/// The event a client says it saw last: `Last-Event-ID`, else `?last_event_id=` (for
/// clients that cannot set headers).
pub fn last_event_id(req: &HttpRequest, query: Option<&str>) -> Option<i64> {
    req.headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(query)
        .and_then(|v| v.trim().parse().ok())
}

fn data(seq: i64, event: &str, json: String) -> sse::Event {
    sse::Event::Data(sse::Data::new(json).event(event.to_owned()).id(seq.to_string()))
}

/// The response: the start, then every event as it comes.
pub fn respond(
    state: AppState,
    mut subscription: Subscription,
) -> sse::Sse<impl Stream<Item = Result<sse::Event, std::convert::Infallible>>> {
    let start = std::mem::replace(&mut subscription.start, Start::Replay(Vec::new()));
    let first: Vec<sse::Event> = match start {
        Start::Snapshot(snapshot) => {
            let json = serde_json::to_string(&snapshot.list).unwrap_or_else(|_| "{}".into());
            vec![data(snapshot.seq, "snapshot", json)]
        }
        Start::Replay(events) => {
            events.iter().map(|e| data(e.seq, "presence", e.json.clone())).collect()
        }
    };
    let live = stream::unfold((state, subscription), |(state, mut subscription)| async move {
        let event = subscription.next(&state).await?;
        Some((data(event.seq, "presence", event.json.clone()), (state, subscription)))
    });
    let events = stream::iter(first).chain(live).map(Ok);
    sse::Sse::from_stream(events).with_keep_alive(KEEP_ALIVE).with_retry_duration(RETRY)
}
