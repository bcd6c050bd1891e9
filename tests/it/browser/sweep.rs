//! Every page of every role, in Danish and English, at a desktop's 1280 px and a phone's
//! 390 px, in a real headless Chromium: nothing makes the page scroll sideways, and axe-core
//! (vendored in `tests/fixtures/axe/`, see its README) finds no serious or critical problem.
//!
//! With `CALBRIDGE_SWEEP_SCREENSHOTS=<folder>` it saves a screenshot of every view there.
//!
//! The pages come from the route table, so a new page is swept the moment it is added; a
//! `GET` route that is neither a page nor listed in [`NOT_PAGES`] fails the test.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use calbridge::web::{Access, ROUTES};
use fantoccini::Client;
use uuid::Uuid;

use super::{browser, driver_or_skip, fill, submit};
use crate::support::PASSWORD;
use crate::support::world::{World, meeting, now};

/// `GET` routes that answer machines, not people.
const NOT_PAGES: &[&str] = &[
    "/healthz",
    "/readyz",
    "/metrics",
    "/static/{file}",
    "/api/v1/openapi.json",
    "/presence/stream",
    "/users/export",
    "/users/import/template",
];

const AXE: &str = include_str!("../../fixtures/axe/axe.min.js");

/// Runs axe-core on the page; answers the serious and critical violations as
/// `[rule id, target]` pairs, or `{error}`.
const RUN_AXE: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ['violations'] }).then(result => {
  const found = [];
  for (const v of result.violations) {
    if (v.impact !== 'serious' && v.impact !== 'critical') continue;
    for (const node of v.nodes) found.push([v.id, node.target.join(' ')]);
  }
  done(found);
}).catch(e => done({ error: String(e) }));
"#;

/// What scrolls sideways at this width: the page itself, or a box inside it (code samples
/// excepted: a PowerShell line is read, not wrapped).
const OVERFLOW: &str = r#"
const found = [];
const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
  (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\s+/).join('.') : '');
if (document.documentElement.scrollWidth > window.innerWidth) {
  // The innermost boxes that stick out are the ones to fix.
  const out = [...document.querySelectorAll('body *')].filter(el =>
    el.getBoundingClientRect().right > window.innerWidth + 0.5 &&
    ![...el.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 0.5));
  found.push('the page is ' + document.documentElement.scrollWidth + ' px wide: ' +
    out.slice(0, 3).map(el => name(el) + ' "' + el.textContent.trim().slice(0, 40) + '"').join(', '));
}
for (const el of document.querySelectorAll('body *')) {
  const style = getComputedStyle(el);
  if (el.tagName === 'PRE' || !['auto', 'scroll'].includes(style.overflowX)) continue;
  if (el.scrollWidth > el.clientWidth + 1) {
    found.push(name(el) + ' scrolls sideways');
  }
}
for (const el of document.querySelectorAll('main button, main a.button, main input, main select')) {
  const box = el.getBoundingClientRect();
  if (box.width > 0 && (box.left < 0 || box.right > window.innerWidth + 0.5)) {
    found.push(name(el) + ' "' + el.textContent.trim().slice(0, 40) + '" is out of reach');
  }
}
// The board's first row reads person, then state, before anything else.
const row = document.querySelector('table.board tbody tr');
if (row) {
  const top = sel => row.querySelector(sel).getBoundingClientRect().top;
  const others = [...row.querySelectorAll('td:not(.person):not(.state-cell)')]
    .filter(td => td.getBoundingClientRect().height > 0).map(td => td.getBoundingClientRect().top);
  if (!(top('td.person') <= top('td.state-cell') && others.every(t => t >= top('td.state-cell')))) {
    found.push('the board does not show person and state first');
  }
}
return found;
"#;

const WIDTHS: [u32; 2] = [1280, 390];
const LANGUAGES: [&str; 2] = ["da", "en"];

/// The people and objects the pages show, so none of them is empty.
struct Seeded {
    tenant: Uuid,
    user: Uuid,
    invite: Uuid,
    invite_path: String,
    reception: Uuid,
    token: Uuid,
    hook: Uuid,
    import: Uuid,
}

async fn seed(world: &World) -> Seeded {
    use calbridge::services::{Actor, api_tokens, directory_import, invites, webhooks};
    let hansen = world.customer("Hansen & Søn Rådgivende Ingeniører", "hansen.dk", "full").await;
    let scope = world.scope(&hansen);
    let actor = Actor::command_line();
    world.app.create_member(hansen.id, "it@hansen.dk", "tenant_admin").await;
    let reception = world.app.create_member(hansen.id, "reception@hansen.dk", "receptionist").await;
    world.app.create_operator("ops@calbridge.dk").await;
    let now = now();
    let busy = meeting(
        "Kundemøde om den nye kontorbygning i Aarhus",
        now - chrono::Duration::minutes(5),
        now + chrono::Duration::minutes(50),
    );
    let user = world.person(&hansen, "anna.margrethe.christiansen-westergaard", vec![busy]).await;
    let all_day = calbridge::simulator::EventSpec {
        subject: "Kursus".into(),
        start: crate::support::world::at(now - chrono::Duration::hours(1)),
        duration: Some("1d".into()),
        all_day: true,
        show_as: Some("busy".into()),
        ..Default::default()
    };
    world.person(&hansen, "bo", vec![all_day]).await;
    world.person(&hansen, "carl", vec![]).await;
    world.sync(&hansen).await;
    let created =
        invites::create(&world.state, &actor, scope, "ny@hansen.dk", "receptionist").await.unwrap();
    let token = api_tokens::create(&world.state, &actor, scope, "Omstillingsbord").await.unwrap();
    let hook = webhooks::EndpointInput {
        url: "http://127.0.0.1:9/hansen/omstillingsbord/calbridge-webhook".into(),
        events: vec!["presence.changed".into()],
        enabled: false,
    };
    let hook = webhooks::create(&world.state, &actor, scope, &hook).await.unwrap();
    // A spreadsheet with a new, a changed, an unchanged and a refused row, and a column that
    // is not read: the preview shows every kind.
    let sheet = "E-mail;Navn;Lokalnummer;Afdeling;Synkronisering;Kontor\r\n\
        ny.medarbejder.med.et.langt.navn@hansen.dk;Ny Medarbejder;2201;Konstruktion;ja;Aarhus\r\n\
        bo@hansen.dk;Bo Ændret;2202;;nej;Aarhus\r\n\
        carl@hansen.dk;;;;;\r\n\
        ikke-en-adresse;Fejl;abc;;ja;\r\n";
    let import =
        directory_import::upload(&world.state, scope, "medarbejdere.csv", sheet.as_bytes())
            .await
            .unwrap();
    Seeded {
        tenant: hansen.id,
        user,
        invite: created.id,
        invite_path: created.path,
        reception,
        token: token.row.id,
        hook: hook.endpoint_id,
        import,
    }
}

/// Who looks at a page: signed out, or signed in as this address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Viewer {
    Anonymous,
    Operator,
    Admin,
    Reception,
}

impl Viewer {
    fn email(self) -> Option<&'static str> {
        match self {
            Viewer::Anonymous => None,
            Viewer::Operator => Some("ops@calbridge.dk"),
            Viewer::Admin => Some("it@hansen.dk"),
            Viewer::Reception => Some("reception@hansen.dk"),
        }
    }
}

/// Every page of the route table with real ids, and who sees it.
fn pages(seeded: &Seeded) -> BTreeMap<Viewer, Vec<String>> {
    let mut pages: BTreeMap<Viewer, Vec<String>> = BTreeMap::new();
    for route in ROUTES.iter().filter(|r| r.method == "GET") {
        if NOT_PAGES.contains(&route.path) || route.access == Access::ApiToken {
            continue;
        }
        let viewers: &[Viewer] = match route.access {
            Access::Public => &[Viewer::Anonymous],
            Access::Operator => &[Viewer::Operator],
            Access::TenantMember => &[Viewer::Reception, Viewer::Admin],
            Access::TenantAdmin | Access::SignedIn => &[Viewer::Admin],
            Access::ApiToken => &[],
        };
        for path in fill_ids(route.path, seeded) {
            for viewer in viewers {
                pages.entry(*viewer).or_default().push(path.clone());
            }
        }
    }
    pages
}

/// The route's path with the seeded objects in its parameters (a wizard step: each one).
fn fill_ids(path: &str, s: &Seeded) -> Vec<String> {
    let Some(open) = path.find('{') else { return vec![path.to_owned()] };
    let close = path[open..].find('}').unwrap() + open;
    let before = &path[..open];
    let values: Vec<String> = match (&path[open + 1..close], before) {
        ("token", "/invite/") => vec![s.invite_path.trim_start_matches("/invite/").to_owned()],
        ("step", _) => ["calendar", "entra", "restrict", "done"].map(String::from).to_vec(),
        ("id", p) if p.starts_with("/operator/tenants") => vec![s.tenant.to_string()],
        ("id", p) if p.starts_with("/users/import") => vec![s.import.to_string()],
        ("id", p) if p.starts_with("/users") => vec![s.user.to_string()],
        ("id", p) if p.starts_with("/team/accounts") => vec![s.reception.to_string()],
        ("id", p) if p.starts_with("/team/invites") => vec![s.invite.to_string()],
        ("id", p) if p.starts_with("/integrations/tokens") => vec![s.token.to_string()],
        ("id", p) if p.starts_with("/integrations/webhooks") => vec![s.hook.to_string()],
        (name, _) => panic!("the sweep has no value for {{{name}}} in {path}: add one"),
    };
    values
        .into_iter()
        .flat_map(|v| fill_ids(&format!("{before}{v}{}", &path[close + 1..]), s))
        .collect()
}

async fn sign_in(client: &Client, base: &str, email: &str) {
    client.goto(&format!("{base}/login")).await.unwrap();
    fill(client, "f-email", email).await;
    fill(client, "f-password", PASSWORD).await;
    submit(client, "main form button[type=submit]").await;
}

/// Switches the page's language the way its reader would: the link in the footer when
/// signed out, the button that saves it on the account when signed in.
async fn choose_language(client: &Client, base: &str, home: &str, lang: &str) {
    client.goto(&format!("{base}{home}")).await.unwrap();
    let current = client.execute("return document.documentElement.lang", vec![]).await.unwrap();
    if current != lang {
        submit(client, "footer [lang]").await;
    }
    let now = client.execute("return document.documentElement.lang", vec![]).await.unwrap();
    assert_eq!(now, lang, "the footer switched the language");
}

async fn set_width(client: &Client, width: u32) {
    client.set_window_size(width, 900).await.unwrap();
    let inner = client.execute("return window.innerWidth", vec![]).await.unwrap();
    assert_eq!(inner, serde_json::json!(width), "the viewport is {width} px wide");
}

/// The problems of the page on screen: sideways scrolling and axe-core's findings.
async fn check(client: &Client) -> Vec<String> {
    let mut problems: Vec<String> =
        serde_json::from_value(client.execute(OVERFLOW, vec![]).await.unwrap()).unwrap();
    client.execute(AXE, vec![]).await.unwrap();
    let found = client.execute_async(RUN_AXE, vec![]).await.unwrap();
    match serde_json::from_value::<Vec<(String, String)>>(found.clone()) {
        Ok(violations) => problems
            .extend(violations.into_iter().map(|(rule, target)| format!("{rule} at {target}"))),
        Err(_) => panic!("axe-core did not run: {found}"),
    }
    problems
}

/// One line of the table the sweep prints: page × width × language.
fn line(viewer: &str, page: &str, width: &str, lang: &str, result: &str) -> String {
    format!("{viewer:<10} {page:<58} {width:>5} {lang:<4} {result}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_a_phone_and_passes_axe_in_both_languages() {
    let test = "every_page_fits_a_phone_and_passes_axe_in_both_languages";
    let Some(driver) = driver_or_skip(test).await else { return };
    let world = World::new_with(|c| c.webhook_allow_private = true).await;
    let seeded = seed(&world).await;
    let base = format!("http://{}", world.app.addr);
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, profile.path()).await;
    let started = Instant::now();
    let mut table = Vec::new();
    let mut failures = Vec::new();
    for (viewer, paths) in pages(&seeded) {
        client.delete_all_cookies().await.unwrap();
        let home = match viewer.email() {
            Some(email) => {
                sign_in(&client, &base, email).await;
                super::path(&client).await
            }
            None => "/login".to_owned(),
        };
        for lang in LANGUAGES {
            choose_language(&client, &base, &home, lang).await;
            for width in WIDTHS {
                set_width(&client, width).await;
                for path in &paths {
                    client.goto(&format!("{base}{path}")).await.unwrap();
                    let shown = client.current_url().await.unwrap().path().to_owned();
                    let page_lang = client
                        .execute("return document.documentElement.lang", vec![])
                        .await
                        .unwrap();
                    let mut problems = check(&client).await;
                    if let Some(dir) = std::env::var_os("CALBRIDGE_SWEEP_SCREENSHOTS") {
                        let name =
                            format!("{viewer:?}-{lang}-{width}{}.png", path.replace('/', "_"));
                        let png = client.screenshot().await.unwrap();
                        std::fs::write(Path::new(&dir).join(name), png).unwrap();
                    }
                    if page_lang != lang {
                        problems.push(format!("the page is in {page_lang}, not {lang}"));
                    }
                    let page =
                        if shown == *path { path.clone() } else { format!("{path} → {shown}") };
                    let result = match problems.len() {
                        0 => "ok".to_owned(),
                        n => format!("{n} problem(s)"),
                    };
                    let who = format!("{viewer:?}");
                    table.push(line(&who, &page, &width.to_string(), lang, &result));
                    failures.extend(
                        problems
                            .into_iter()
                            .map(|p| format!("{page} {width} px {lang} ({who}): {p}")),
                    );
                }
            }
        }
    }
    client.close().await.unwrap();
    {
        use std::io::Write;
        let mut err = std::io::stderr();
        let _ = writeln!(err, "{}", line("viewer", "page", "width", "lang", "result"));
        for line in &table {
            let _ = writeln!(err, "{line}");
        }
        let _ =
            writeln!(err, "{} page views in {:.1} s", table.len(), started.elapsed().as_secs_f64());
    }
    assert!(failures.is_empty(), "{} problem(s):\n{}", failures.len(), failures.join("\n"));
}
