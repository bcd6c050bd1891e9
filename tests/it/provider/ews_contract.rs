//! Microsoft's documented EWS payloads read with the EWS provider's own parser, and the
//! provider's requests held against Microsoft's documented request shapes.

use std::collections::BTreeSet;

use calbridge::domain::Email;
use calbridge::domain::calendar::ShowAs;
use calbridge::providers::ews::{requests, wire, xml};
use chrono::{DateTime, TimeZone, Utc};

use crate::support::scenario::microsoft_text as read;

fn at(raw: &str) -> DateTime<Utc> {
    raw.parse().unwrap()
}

#[test]
fn documented_free_busy_answer_reads_as_calendar_items() {
    let body = read("ews-getuseravailability-response.xml");
    let answers = wire::availability(body.as_bytes(), 2).unwrap();
    let first = answers[0].as_ref().unwrap();
    assert_eq!(first.len(), 3);
    // "2006-10-16T06:00:00-07:00": the offset is applied.
    assert_eq!(first[0].start, at("2006-10-16T13:00:00Z"));
    assert_eq!(first[0].end, at("2006-10-16T13:30:00Z"));
    assert_eq!(first[0].show_as, ShowAs::Busy);
    // Free/busy never keeps subjects, even where the server sent them.
    assert!(first.iter().all(|i| i.subject.is_none() && i.location.is_none()));
    assert!(first.iter().all(|i| !i.private), "IsPrivate false is read");
    let second = answers[1].as_ref().unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].show_as, ShowAs::Tentative);
    assert!(second[0].private, "no details counts as private, as with Graph");
    // The answer count is checked against the request.
    assert!(wire::availability(body.as_bytes(), 3).is_err());
}

#[test]
fn documented_calendar_view_answer_reads_as_a_page() {
    let body = read("ews-finditem-calendarview-response.xml");
    let page = wire::calendar_page(body.as_bytes()).unwrap().unwrap();
    assert!(!page.complete, "IncludesLastItemInRange=false means more pages");
    let subjects: Vec<_> = page.items.iter().map(|(_, i)| i.subject.clone().unwrap()).collect();
    assert_eq!(
        subjects,
        [
            "Contoso devs team meeting",
            "Daily status meeting",
            "Lunch with sales team",
            "Tennis at the club",
            "Online training webcast"
        ]
    );
    assert_eq!(page.items[0].1.start, at("2013-08-21T19:30:00Z"));
    assert_eq!(page.last_start, Some(at("2013-08-22T21:00:00Z")));
    // No LegacyFreeBusyStatus requested in the documented call: an appointment counts busy.
    assert!(page.items.iter().all(|(_, i)| i.show_as == ShowAs::Busy));
    let ids: BTreeSet<_> = page.items.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(ids.len(), 5, "ids repeat in the doc, so start times keep items apart");
}

/// Every element path in `root`, as `A/B/C` of local names.
fn paths(root: &xml::Element) -> BTreeSet<String> {
    fn walk(element: &xml::Element, prefix: &str, out: &mut BTreeSet<String>) {
        let path = format!("{prefix}/{}", element.name);
        out.insert(path.clone());
        for child in &element.children {
            walk(child, &path, out);
        }
    }
    let mut out = BTreeSet::new();
    walk(root, "", &mut out);
    out
}

#[test]
fn requests_have_the_documented_shapes() {
    let start = Utc.with_ymd_and_hms(2030, 1, 7, 6, 0, 0).unwrap();
    let end = start + chrono::Duration::hours(36);
    let anna = Email::parse("anna@example.com").unwrap();

    let documented = xml::parse(read("ews-getuseravailability-request.xml").as_bytes()).unwrap();
    let ours = xml::parse(requests::availability(&[&anna], start, end).as_bytes()).unwrap();
    let (documented, ours) = (paths(&documented), paths(&ours));
    let missing: Vec<_> = documented.difference(&ours).collect();
    assert!(missing.is_empty(), "documented elements our request lacks: {missing:?}");

    let documented = xml::parse(read("ews-finditem-calendarview-request.xml").as_bytes()).unwrap();
    let ours = xml::parse(requests::calendar_view(&anna, start, end, 250).as_bytes()).unwrap();
    let (documented, ours) = (paths(&documented), paths(&ours));
    // The documented call reads the caller's own folder by id; a delegate read names the
    // mailbox's distinguished folder instead.
    let missing: Vec<_> = documented
        .difference(&ours)
        .filter(|p| !p.ends_with("/ParentFolderIds/FolderId"))
        .collect();
    assert!(missing.is_empty(), "documented elements our request lacks: {missing:?}");
    assert!(ours.contains(
        "/Envelope/Body/FindItem/ParentFolderIds/DistinguishedFolderId/Mailbox/EmailAddress"
    ));
}
