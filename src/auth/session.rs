//! How long a session lasts.

use chrono::Duration;

/// A session unused for this long ends.
pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
/// A session ends this long after sign-in, however active.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);
/// `last_seen_at` is written at most this often, to spare the database a write per request.
pub const TOUCH_INTERVAL: Duration = Duration::seconds(30);
