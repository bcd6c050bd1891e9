//! TCP connections to the EWS endpoint. NTLM authenticates a connection, not a request, so
//! each connection's challenge and signed-in organisation are kept here until it closes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use uuid::Uuid;

#[derive(Debug, Default, Clone, Copy)]
struct State {
    challenge: Option<[u8; 8]>,
    organisation: Option<Uuid>,
    /// NTLM signs the connection in; Basic only counts it and is checked on every request.
    signed_in: bool,
}

#[derive(Default)]
struct Table {
    states: HashMap<u64, State>,
    open_per_organisation: HashMap<Uuid, u32>,
}

#[derive(Default)]
pub struct Connections {
    next_id: AtomicU64,
    table: Mutex<Table>,
}

/// Lives in the connection's extensions; dropping it (when the connection closes) forgets
/// the connection.
pub struct ConnectionTag {
    pub id: u64,
    connections: Arc<Connections>,
}

impl Drop for ConnectionTag {
    fn drop(&mut self) {
        self.connections.close(self.id);
    }
}

impl Connections {
    pub fn open(self: &Arc<Self>) -> ConnectionTag {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        ConnectionTag { id, connections: Arc::clone(self) }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn close(&self, id: u64) {
        let mut table = self.table();
        if let Some(organisation) = table.states.remove(&id).and_then(|s| s.organisation) {
            forget_open(&mut table, organisation);
        }
    }

    /// Starts a handshake: a new challenge also ends an earlier sign-in on this connection.
    pub fn set_challenge(&self, id: u64, challenge: [u8; 8]) {
        let mut table = self.table();
        let state = table.states.entry(id).or_default();
        let previous = state.organisation.take();
        state.signed_in = false;
        state.challenge = Some(challenge);
        if let Some(organisation) = previous {
            forget_open(&mut table, organisation);
        }
    }

    /// The challenge sent on this connection; a challenge answers one Authenticate only.
    pub fn take_challenge(&self, id: u64) -> Option<[u8; 8]> {
        self.table().states.get_mut(&id).and_then(|s| s.challenge.take())
    }

    /// The organisation NTLM signed this connection in as.
    pub fn signed_in(&self, id: u64) -> Option<Uuid> {
        self.table().states.get(&id).filter(|s| s.signed_in).and_then(|s| s.organisation)
    }

    /// Records whose connection this is (signed in for later requests when `signed_in`);
    /// returns how many connections of the organisation are now open when this one was not
    /// yet counted for it.
    pub fn attribute(&self, id: u64, organisation: Uuid, signed_in: bool) -> Option<u32> {
        let mut table = self.table();
        let state = table.states.entry(id).or_default();
        state.signed_in = signed_in;
        let previous = state.organisation.replace(organisation);
        if previous == Some(organisation) {
            return None;
        }
        if let Some(previous) = previous {
            forget_open(&mut table, previous);
        }
        let open = table.open_per_organisation.entry(organisation).or_default();
        *open += 1;
        Some(*open)
    }

    /// Connections currently tracked, for tests.
    pub fn tracked(&self) -> usize {
        self.table().states.len()
    }
}

fn forget_open(table: &mut Table, organisation: Uuid) {
    if let Some(open) = table.open_per_organisation.get_mut(&organisation) {
        *open = open.saturating_sub(1);
        if *open == 0 {
            table.open_per_organisation.remove(&organisation);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_a_connection_forgets_it() {
        let connections = Arc::new(Connections::default());
        let org = Uuid::new_v4();
        let first = connections.open();
        let second = connections.open();
        connections.set_challenge(first.id, [1; 8]);
        assert_eq!(connections.take_challenge(first.id), Some([1; 8]));
        assert_eq!(connections.take_challenge(first.id), None);
        assert_eq!(connections.take_challenge(second.id), None);
        assert_eq!(connections.attribute(first.id, org, true), Some(1));
        assert_eq!(connections.attribute(first.id, org, true), None);
        assert_eq!(connections.attribute(second.id, org, false), Some(2));
        assert_eq!(connections.signed_in(second.id), None);
        drop(second);
        assert_eq!(connections.tracked(), 1);
        assert_eq!(connections.signed_in(first.id), Some(org));
        connections.set_challenge(first.id, [2; 8]);
        assert_eq!(connections.signed_in(first.id), None);
        drop(first);
        assert_eq!(connections.tracked(), 0);
        let third = connections.open();
        assert_eq!(connections.attribute(third.id, org, true), Some(1));
    }
}
