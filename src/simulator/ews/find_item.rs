//! `FindItem` with a `CalendarView` on calendars the organisation's account may review
//! (delegate access through `DistinguishedFolderId Id="calendar"` with a `Mailbox`).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::domain::timezone::format_utc_z;

use super::super::calendar::{Instance, Sensitivity};
use super::super::scenario::EwsAccess;
use super::super::state::{DirectoryTenant, Sim};
use super::availability::busy_type;
use super::envelope::{Element, Request};
use super::reply::{self, EwsResponse, MESSAGES_NS, TYPES_NS, escape};
use super::timezone::RequestZone;

/// The calendar item properties this simulator writes, in the schema's element order.
const PROPERTIES: &[&str] = &[
    "item:Subject",
    "item:Sensitivity",
    "calendar:Start",
    "calendar:End",
    "calendar:IsAllDayEvent",
    "calendar:LegacyFreeBusyStatus",
    "calendar:Location",
    "calendar:IsCancelled",
    "calendar:CalendarItemType",
];

struct View {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    max_entries: Option<usize>,
    properties: Vec<&'static str>,
}

/// The delegate mailboxes a request names, for fault matching before it is validated.
pub fn addresses(request: &Request) -> Vec<String> {
    request
        .operation
        .child("ParentFolderIds")
        .map(|ids| {
            ids.children
                .iter()
                .filter_map(|id| id.path(&["Mailbox", "EmailAddress"]))
                .map(|address| address.trimmed_text().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn sensitivity_name(sensitivity: Sensitivity) -> &'static str {
    match sensitivity {
        Sensitivity::Normal => "Normal",
        Sensitivity::Personal => "Personal",
        Sensitivity::Private => "Private",
        Sensitivity::Confidential => "Confidential",
    }
}

fn read_view(request: &Request) -> Result<View, EwsResponse> {
    let operation = &request.operation;
    let zone = RequestZone::from_header(request.header.as_ref())
        .map_err(|e| reply::schema_validation(&e))?;
    let Some(view) = operation.child("CalendarView") else {
        return Err(reply::fault(
            "ErrorInvalidOperation",
            "This server answers FindItem with a CalendarView only.",
            None,
        ));
    };
    let date = |name: &str| {
        view.attribute(name).and_then(|text| zone.parse(text)).ok_or_else(|| {
            reply::schema_validation(&format!(
                "The '{name}' attribute of CalendarView is missing or not a valid xs:dateTime."
            ))
        })
    };
    let (start, end) = (date("StartDate")?, date("EndDate")?);
    let max_entries = match view.attribute("MaxEntriesReturned") {
        Some(text) => {
            Some(text.trim().parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
                reply::schema_validation(
                    "The 'MaxEntriesReturned' attribute is not a positive integer.",
                )
            })?)
        }
        None => None,
    };
    let shape = operation.child("ItemShape");
    let base = shape.and_then(|s| s.child_text("BaseShape")).unwrap_or("IdOnly");
    let properties = if base == "IdOnly" {
        let requested: Vec<&str> = shape
            .and_then(|s| s.child("AdditionalProperties"))
            .map(|additional| {
                additional
                    .children_named("FieldURI")
                    .filter_map(|f| f.attribute("FieldURI"))
                    .collect()
            })
            .unwrap_or_default();
        PROPERTIES.iter().copied().filter(|p| requested.contains(p)).collect()
    } else {
        PROPERTIES.to_vec()
    };
    Ok(View { start, end, max_entries, properties })
}

fn error_message(out: &mut String, code: &str, text: &str) {
    let _ = write!(
        out,
        "<m:FindItemResponseMessage ResponseClass=\"Error\"><m:MessageText>{}</m:MessageText>\
         <m:ResponseCode>{code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>\
         </m:FindItemResponseMessage>",
        escape(text)
    );
}

fn item_xml(out: &mut String, instance: &Instance, properties: &[&str]) {
    let event = &instance.event;
    let _ = write!(
        out,
        "<t:CalendarItem><t:ItemId Id=\"{}\" ChangeKey=\"{}\" />",
        escape(instance.id()),
        escape(&event.change_key)
    );
    for property in properties {
        // Exchange leaves out properties that have no value.
        let _ = match *property {
            "item:Subject" if !event.subject.is_empty() => {
                write!(out, "<t:Subject>{}</t:Subject>", escape(&event.subject))
            }
            "item:Sensitivity" => write!(
                out,
                "<t:Sensitivity>{}</t:Sensitivity>",
                sensitivity_name(event.sensitivity)
            ),
            "calendar:Start" => write!(out, "<t:Start>{}</t:Start>", format_utc_z(instance.start)),
            "calendar:End" => write!(out, "<t:End>{}</t:End>", format_utc_z(instance.end)),
            "calendar:IsAllDayEvent" => {
                write!(out, "<t:IsAllDayEvent>{}</t:IsAllDayEvent>", event.is_all_day)
            }
            "calendar:LegacyFreeBusyStatus" => write!(
                out,
                "<t:LegacyFreeBusyStatus>{}</t:LegacyFreeBusyStatus>",
                busy_type(event.show_as)
            ),
            "calendar:Location" if !event.location.is_empty() => {
                write!(out, "<t:Location>{}</t:Location>", escape(&event.location))
            }
            "calendar:IsCancelled" => {
                write!(out, "<t:IsCancelled>{}</t:IsCancelled>", event.is_cancelled)
            }
            "calendar:CalendarItemType" => write!(
                out,
                "<t:CalendarItemType>{}</t:CalendarItemType>",
                if instance.is_occurrence() { "Occurrence" } else { "Single" }
            ),
            _ => Ok(()),
        };
    }
    out.push_str("</t:CalendarItem>");
}

fn success(out: &mut String, instances: &[Instance], view: &View) {
    let total = instances.len();
    let shown = view.max_entries.map_or(total, |max| max.min(total));
    let _ = write!(
        out,
        "<m:FindItemResponseMessage ResponseClass=\"Success\"><m:ResponseCode>NoError</m:ResponseCode>\
         <m:RootFolder TotalItemsInView=\"{total}\" IncludesLastItemInRange=\"{}\"><t:Items>",
        shown == total
    );
    for instance in instances.iter().take(shown) {
        item_xml(out, instance, &view.properties);
    }
    out.push_str("</t:Items></m:RootFolder></m:FindItemResponseMessage>");
}

fn folder(out: &mut String, sim: &Sim, organisation: &DirectoryTenant, id: &Element, view: &View) {
    let is_calendar = id.name == "DistinguishedFolderId"
        && id.attribute("Id").is_some_and(|name| name.trim() == "calendar");
    if !is_calendar {
        return error_message(
            out,
            "ErrorFolderNotFound",
            "The specified folder could not be found in the store.",
        );
    }
    let Some(address) = id.path(&["Mailbox", "EmailAddress"]).map(Element::trimmed_text) else {
        // The account's own calendar, which holds nothing.
        return success(out, &[], view);
    };
    let Some(mailbox) = super::reachable_mailbox(sim, organisation, address) else {
        return error_message(
            out,
            "ErrorNonExistentMailbox",
            "The SMTP address has no mailbox associated with it.",
        );
    };
    if mailbox.ews_access() != EwsAccess::Reviewer {
        return error_message(
            out,
            "ErrorAccessDenied",
            "Access is denied. Check credentials and try again.",
        );
    }
    let instances = if view.end > view.start {
        mailbox.calendar.read().unwrap_or_else(|e| e.into_inner()).instances(view.start, view.end)
    } else {
        Vec::new()
    };
    success(out, &instances, view);
}

pub fn handle(
    sim: &Sim,
    organisation: &DirectoryTenant,
    request: &Request,
) -> Result<EwsResponse, EwsResponse> {
    let view = read_view(request)?;
    let ids: Vec<&Element> = request
        .operation
        .child("ParentFolderIds")
        .map(|p| p.children.iter().collect())
        .unwrap_or_default();
    if ids.is_empty() {
        return Err(reply::schema_validation("ParentFolderIds must name at least one folder."));
    }
    let mut body = format!(
        "<m:FindItemResponse xmlns:m=\"{MESSAGES_NS}\" xmlns:t=\"{TYPES_NS}\"><m:ResponseMessages>"
    );
    for id in ids {
        folder(&mut body, sim, organisation, id, &view);
    }
    body.push_str("</m:ResponseMessages></m:FindItemResponse>");
    Ok(EwsResponse::xml(200, reply::envelope(&body)))
}
