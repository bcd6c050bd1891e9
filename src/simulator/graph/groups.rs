//! `GET /groups/{id}` and `GET /groups/{id}/transitiveMembers`: an Entra group and its
//! members with nested groups flattened, paged with `$top` and an opaque `$skiptoken`.
//!
//! As in Graph, the nested groups themselves, devices and service principals are members
//! too (each with its `@odata.type`), and a user without a mailbox has `mail: null`.

use std::collections::{HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::super::counters::Outcome;
use super::super::faults::{EndpointKind, FaultProbe};
use super::super::state::{Sim, TokenProblem};
use super::calendar_view::{Query, parse_count};
use super::response::{self, GraphResponse, RequestCtx};
use super::{FaultEffect, Reply, Served, fault_effect, unauthenticated};

/// Graph's page size without `$top`, and the largest it accepts.
const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 999;

pub struct GroupRequest<'a> {
    /// The `{id}` segment as the client wrote it (decoded).
    pub id: &'a str,
    pub members: bool,
    pub query: &'a str,
    pub base: &'a str,
}

fn done(response: GraphResponse) -> Served {
    let outcome = if response.status < 400 { Outcome::Ok } else { Outcome::Error };
    Served { kind: EndpointKind::Groups, reply: Reply::Respond(response), outcome, guard: None }
}

pub fn serve(
    sim: &Arc<Sim>,
    authorization: Option<&str>,
    request: &GroupRequest<'_>,
    ctx: &RequestCtx,
) -> Served {
    let token = match sim.check_bearer(authorization) {
        Ok(token) => token,
        Err(problem) => return done(unauthenticated(ctx, &problem)),
    };
    let Some(tenant) = sim.tenant(&token.tenant) else {
        return done(unauthenticated(ctx, &TokenProblem::Invalid));
    };
    let mut truncate = false;
    if !sim.faults.is_empty() {
        let names = tenant.names();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let probe =
            FaultProbe { kind: EndpointKind::Groups, tenant_names: &refs, mailbox_names: &[] };
        if let Some(fault) = sim.faults.take(&probe) {
            let served = |reply| Served {
                kind: EndpointKind::Groups,
                reply,
                outcome: Outcome::Fault,
                guard: None,
            };
            match fault_effect(&fault, ctx) {
                FaultEffect::Replace(reply) => return served(Reply::Respond(reply)),
                FaultEffect::Hang(duration) => return served(Reply::Hang(duration)),
                FaultEffect::Truncate => truncate = true,
            }
        }
    }
    if !tenant.group_member_read {
        return done(response::error(
            ctx,
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        ));
    }
    let group = Uuid::try_parse(request.id).ok().and_then(|id| sim.group(tenant.directory_id, id));
    let Some(group) = group else {
        return done(response::error(
            ctx,
            404,
            "Request_ResourceNotFound",
            &format!(
                "Resource '{}' does not exist or one of its queried reference-property objects are not present.",
                request.id
            ),
        ));
    };
    let reply = if request.members {
        members(sim, tenant.directory_id, group.spec.id, request, ctx)
    } else {
        let context = format!("{}/v1.0/$metadata#groups/$entity", request.base);
        response::ok(
            ctx,
            json!({
                "@odata.context": context,
                "id": group.spec.id,
                "displayName": group.spec.display_name,
            }),
        )
    };
    if truncate {
        let mut served = done(reply.truncated());
        served.outcome = Outcome::Fault;
        return served;
    }
    done(reply)
}

fn members(
    sim: &Sim,
    tenant: Uuid,
    root: Uuid,
    request: &GroupRequest<'_>,
    ctx: &RequestCtx,
) -> GraphResponse {
    let query = Query::parse(request.query);
    let top = match parse_count(ctx, "$top", query.get("$top")) {
        Ok(top) => top.unwrap_or(DEFAULT_PAGE),
        Err(error) => return error,
    };
    if top == 0 || top > MAX_PAGE {
        return response::error(
            ctx,
            400,
            "Request_UnsupportedQuery",
            &format!(
                "Invalid page size specified: '{top}'. Must be between 1 and {MAX_PAGE} inclusive."
            ),
        );
    }
    let skip = match query.get("$skiptoken").map(read_skiptoken) {
        None => 0,
        Some(Some(skip)) => skip,
        Some(None) => {
            return response::error(
                ctx,
                400,
                "Directory_InvalidSkipToken",
                "The specified skip token is invalid.",
            );
        }
    };
    let select: Option<HashSet<String>> =
        query.get("$select").map(|s| s.split(',').map(|f| f.trim().to_ascii_lowercase()).collect());
    let objects = flatten(sim, tenant, root);
    let end = skip.saturating_add(top).min(objects.len());
    let page: Vec<Value> = objects
        .get(skip..end)
        .unwrap_or_default()
        .iter()
        .map(|object| selected(object, select.as_ref()))
        .collect();
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!("{}/v1.0/$metadata#directoryObjects", request.base)),
    );
    if end < objects.len() {
        body.insert("@odata.nextLink".into(), json!(next_link(request, &query, end)));
    }
    body.insert("value".into(), Value::Array(page));
    response::ok(ctx, Value::Object(body))
}

/// Every member once, breadth first: a group's users, devices and service principals, then
/// its nested groups (as members themselves) and their members. Cycles end where they meet.
fn flatten(sim: &Sim, tenant: Uuid, root: Uuid) -> Vec<Value> {
    let mut objects = Vec::new();
    let mut seen_groups = HashSet::from([root]);
    let mut seen_users = HashSet::new();
    let mut queue = VecDeque::from([root]);
    while let Some(id) = queue.pop_front() {
        let Some(group) = sim.group(tenant, id) else { continue };
        for member in &group.spec.members {
            let key = member.trim().to_ascii_lowercase();
            if !seen_users.insert(key) {
                continue;
            }
            let mailbox = sim.mailbox(member).filter(|m| m.tenant == tenant);
            objects.push(match mailbox {
                Some(m) => json!({
                    "@odata.type": "#microsoft.graph.user",
                    "id": m.object_id,
                    "displayName": m.display_name,
                    "mail": m.upn.as_ref(),
                    "userPrincipalName": m.upn.as_ref(),
                }),
                None => json!({
                    "@odata.type": "#microsoft.graph.user",
                    "id": stable_id(member),
                    "displayName": member.split('@').next().unwrap_or_default(),
                    "mail": null,
                    "userPrincipalName": member,
                }),
            });
        }
        for (kind, names) in [
            ("#microsoft.graph.device", &group.spec.devices),
            ("#microsoft.graph.servicePrincipal", &group.spec.service_principals),
        ] {
            for name in names {
                objects.push(json!({
                    "@odata.type": kind,
                    "id": stable_id(&format!("{kind}/{id}/{name}")),
                    "displayName": name,
                }));
            }
        }
        for nested in &group.spec.groups {
            if !seen_groups.insert(*nested) {
                continue;
            }
            let name = sim.group(tenant, *nested).map(|g| g.spec.display_name.clone());
            objects.push(json!({
                "@odata.type": "#microsoft.graph.group",
                "id": nested,
                "displayName": name,
                "mail": null,
            }));
            queue.push_back(*nested);
        }
    }
    objects
}

/// `$select` keeps the named properties; the type annotation always stays, as Graph keeps it
/// on a collection of mixed types.
fn selected(object: &Value, select: Option<&HashSet<String>>) -> Value {
    let (Some(select), Value::Object(map)) = (select, object) else { return object.clone() };
    let kept: Map<String, Value> = map
        .iter()
        .filter(|(k, _)| k.starts_with('@') || select.contains(&k.to_ascii_lowercase()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Value::Object(kept)
}

fn stable_id(seed: &str) -> Uuid {
    let mut high = DefaultHasher::new();
    seed.hash(&mut high);
    let mut low = DefaultHasher::new();
    (seed, 1u8).hash(&mut low);
    Uuid::from_u64_pair(high.finish(), low.finish())
}

fn read_skiptoken(token: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    std::str::from_utf8(&bytes).ok()?.strip_prefix("members:")?.parse().ok()
}

fn next_link(request: &GroupRequest<'_>, query: &Query, skip: usize) -> String {
    let token = URL_SAFE_NO_PAD.encode(format!("members:{skip}"));
    let query = query.moved_on("$skiptoken", &token);
    format!("{}/v1.0/groups/{}/transitiveMembers?{query}", request.base, request.id)
}
