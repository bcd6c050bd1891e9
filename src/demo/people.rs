//! The demo company: 25 people with Danish names, departments and extensions, and calendars
//! that keep changing while someone watches.

use crate::simulator::{EventSpec, GroupSpec, MailboxSpec, Sensitivity, TimeInput};

pub const DOMAIN: &str = "nordlys-radgivning.dk";

/// (name, mailbox, department, extension)
pub const PEOPLE: [(&str, &str, &str, &str); 25] = [
    ("Anne Sørensen", "anne.sorensen", "Ledelse", "201"),
    ("Mads Jensen", "mads.jensen", "Salg", "202"),
    ("Mette Nielsen", "mette.nielsen", "Salg", "203"),
    ("Søren Hansen", "soren.hansen", "Salg", "204"),
    ("Louise Pedersen", "louise.pedersen", "Kundeservice", "205"),
    ("Jens Andersen", "jens.andersen", "Kundeservice", "206"),
    ("Camilla Christensen", "camilla.christensen", "Kundeservice", "207"),
    ("Peter Larsen", "peter.larsen", "Økonomi", "208"),
    ("Sofie Rasmussen", "sofie.rasmussen", "Økonomi", "209"),
    ("Henrik Jørgensen", "henrik.jorgensen", "IT", "210"),
    ("Line Petersen", "line.petersen", "IT", "211"),
    ("Thomas Madsen", "thomas.madsen", "Rådgivning", "212"),
    ("Maria Kristensen", "maria.kristensen", "Rådgivning", "213"),
    ("Lars Olsen", "lars.olsen", "Rådgivning", "214"),
    ("Pia Thomsen", "pia.thomsen", "Rådgivning", "215"),
    ("Martin Poulsen", "martin.poulsen", "Rådgivning", "216"),
    ("Julie Johansen", "julie.johansen", "Marketing", "217"),
    ("Rasmus Møller", "rasmus.moller", "Marketing", "218"),
    ("Ida Mortensen", "ida.mortensen", "HR", "219"),
    ("Niels Knudsen", "niels.knudsen", "HR", "220"),
    ("Emma Jakobsen", "emma.jakobsen", "Jura", "221"),
    ("Kasper Mikkelsen", "kasper.mikkelsen", "Jura", "222"),
    ("Karen Frederiksen", "karen.frederiksen", "Reception", "223"),
    ("Anders Dahl", "anders.dahl", "Ledelse", "224"),
    ("Birgitte Holm", "birgitte.holm", "Økonomi", "225"),
];

/// In the directory, but without a mailbox: shows how a wrong address is reported.
pub const MISSING: (&str, &str, &str, &str) = ("Ole Vestergaard", "ole.vestergaard", "Salg", "226");

const SUBJECTS: [&str; 8] = [
    "Kundemøde",
    "Teammøde",
    "Budgetgennemgang",
    "Projektstatus",
    "Salgsmøde",
    "1:1 med leder",
    "Tilbudsgennemgang",
    "Onboarding af ny kunde",
];
const LOCATIONS: [&str; 5] =
    ["Mødelokale Skagen", "Mødelokale Bornholm", "Teams", "Kantinen", "Hos kunden"];

pub fn address(mailbox: &str) -> String {
    format!("{mailbox}@{DOMAIN}")
}

fn event(subject: &str, location: &str, start_min: i64, minutes: i64, show_as: &str) -> EventSpec {
    EventSpec {
        subject: subject.into(),
        location: location.into(),
        start: Some(TimeInput::Text(offset(start_min))),
        duration: Some(format!("{minutes}m")),
        show_as: Some(show_as.into()),
        ..EventSpec::default()
    }
}

fn offset(minutes: i64) -> String {
    if minutes < 0 { format!("-{}m", -minutes) } else { format!("+{minutes}m") }
}

/// Each person's calendar, relative to the moment the demo starts: short meetings that start
/// and end every few minutes for the next ten hours, so the board keeps moving.
pub fn calendar(index: usize) -> Vec<EventSpec> {
    let i = index as i64;
    let mut events = Vec::new();
    match index {
        // Back-to-back: one "until" covering all three.
        2 => {
            events.push(event("Salgsmøde", "Mødelokale Skagen", -10, 25, "busy"));
            events.push(event("Tilbudsgennemgang", "Mødelokale Skagen", 15, 20, "busy"));
            events.push(event("Kundemøde", "Teams", 35, 30, "busy"));
        }
        // A private appointment: the receptionist sees only "Private appointment".
        5 => events.push(EventSpec {
            sensitivity: Sensitivity::Private,
            ..event("Lægebesøg", "Rigshospitalet", 2, 50, "busy")
        }),
        // On holiday all day: out of office (hidden under the default rules).
        8 => events.push(EventSpec {
            all_day: true,
            start: Some(TimeInput::Text("today".into())),
            duration: Some("1d".into()),
            ..event("Ferie", "", 0, 0, "oof")
        }),
        // A tentative invitation (hidden under the default rules).
        7 => events.push(event("Måske: Strategidag", "Hos kunden", 5, 60, "tentative")),
        _ => {}
    }
    // Someone on holiday has no meetings.
    if index == 8 {
        return events;
    }
    // The rhythm: a meeting of 6–14 minutes starting every 20 minutes, staggered per person
    // so that something changes every minute or two; those with a special first hour keep it.
    let special_first_hour = events.iter().any(|e| e.show_as.as_deref() == Some("busy"));
    let first = (i * 3) % 20 - 20;
    let mut start = first;
    let mut n = 0;
    while start < 10 * 60 {
        if !(special_first_hour && start < 70) {
            let subject = SUBJECTS[(index + n) % SUBJECTS.len()];
            let location = LOCATIONS[(index * 3 + n) % LOCATIONS.len()];
            events.push(event(subject, location, start, 6 + (i + n as i64) % 9, "busy"));
        }
        start += 20;
        n += 1;
    }
    events
}

pub fn mailboxes() -> Vec<MailboxSpec> {
    PEOPLE
        .iter()
        .enumerate()
        .map(|(i, (name, mailbox, _, _))| MailboxSpec {
            upn: address(mailbox),
            display_name: Some((*name).into()),
            object_id: None,
            time_zone: "Europe/Copenhagen".into(),
            access_denied_by_policy: false,
            working_hours: Default::default(),
            events: calendar(i),
            ews_access: Default::default(),
        })
        .collect()
}

/// The second demo company, not connected yet: its admin connects it in the portal.
pub const NEWCOMER_DOMAIN: &str = "fjordvej-tandlaeger.dk";

/// (name, mailbox) of the newcomer's people.
pub const NEWCOMERS: [(&str, &str); 3] =
    [("Signe Bach", "signe.bach"), ("Jonas Krogh", "jonas.krogh"), ("Freja Lund", "freja.lund")];

/// The newcomer's Entra groups: the clinic, with the hygienists as a nested group and the
/// waiting-room screen (a device) as members, for sync enablement from a group.
pub const NEWCOMER_GROUP_ID: uuid::Uuid = uuid::uuid!("7c3d9e2a-1b4f-4a6c-8d5e-0f9a8b7c6d5e");
const NEWCOMER_NESTED_GROUP_ID: uuid::Uuid = uuid::uuid!("7c3d9e2a-1b4f-4a6c-8d5e-0f9a8b7c6d5f");

pub fn newcomer_groups() -> Vec<GroupSpec> {
    let nested = NEWCOMER_NESTED_GROUP_ID;
    vec![
        GroupSpec {
            id: NEWCOMER_GROUP_ID,
            display_name: "Klinikken".into(),
            members: NEWCOMERS[..2].iter().map(|(_, m)| newcomer_address(m)).collect(),
            groups: vec![nested],
            devices: vec!["Skærm i venteværelset".into()],
            service_principals: Vec::new(),
        },
        GroupSpec {
            id: nested,
            display_name: "Tandplejere".into(),
            members: NEWCOMERS[2..].iter().map(|(_, m)| newcomer_address(m)).collect(),
            groups: Vec::new(),
            devices: Vec::new(),
            service_principals: Vec::new(),
        },
    ]
}

pub fn newcomer_address(mailbox: &str) -> String {
    format!("{mailbox}@{NEWCOMER_DOMAIN}")
}

/// The newcomer's calendars: the same rhythm as the first company's.
pub fn newcomer_mailboxes() -> Vec<MailboxSpec> {
    NEWCOMERS
        .iter()
        .enumerate()
        .map(|(i, (name, mailbox))| MailboxSpec {
            upn: newcomer_address(mailbox),
            display_name: Some((*name).into()),
            object_id: None,
            time_zone: "Europe/Copenhagen".into(),
            access_denied_by_policy: false,
            working_hours: Default::default(),
            events: calendar(i + 10),
            ews_access: Default::default(),
        })
        .collect()
}

/// The third demo company: a municipality on Exchange Server on-premises, read through EWS.
pub const ONPREM_DOMAIN: &str = "fjordby.dk";

/// (name, mailbox, department, extension) of the municipality's people.
pub const ONPREM_PEOPLE: [(&str, &str, &str, &str); 4] = [
    ("Karen Thygesen", "karen.thygesen", "Borgerservice", "301"),
    ("Mads Kjær", "mads.kjaer", "Teknik og Miljø", "302"),
    ("Lotte Brandt", "lotte.brandt", "Borgerservice", "303"),
    ("Henrik Dahl", "henrik.dahl", "Direktionen", "304"),
];

pub fn onprem_address(mailbox: &str) -> String {
    format!("{mailbox}@{ONPREM_DOMAIN}")
}

/// The municipality's calendars, on its own Exchange server.
pub fn onprem_mailboxes() -> Vec<MailboxSpec> {
    ONPREM_PEOPLE
        .iter()
        .enumerate()
        .map(|(i, (name, mailbox, _, _))| MailboxSpec {
            upn: onprem_address(mailbox),
            display_name: Some((*name).into()),
            object_id: None,
            time_zone: "Europe/Copenhagen".into(),
            access_denied_by_policy: false,
            working_hours: Default::default(),
            events: calendar(i + 3),
            ews_access: Default::default(),
        })
        .collect()
}
