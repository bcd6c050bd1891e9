//! The whole journey of a new customer in a real headless Chromium, driven over WebDriver:
//! accept the invitation, go through the wizard making the two classic mistakes, add a
//! person, start, and see that person busy on the board.
//!
//! Needs `chromium` and `chromedriver` (Debian's `chromium` and `chromium-driver`). Without
//! them the test says it was skipped, unless `CALBRIDGE_BROWSER_TESTS=1` demands it (CI).

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use calbridge::simulator::AppRole;
use fantoccini::{Client, ClientBuilder, Locator};

use crate::support::PASSWORD;
use crate::support::world::{World, meeting, now, options};

mod sweep;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

struct Driver {
    _process: tokio::process::Child,
    url: String,
}

async fn chromedriver() -> Option<Driver> {
    if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let process = tokio::process::Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        if started.elapsed() > Duration::from_secs(20) {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Some(Driver { _process: process, url: format!("http://127.0.0.1:{port}") })
}

/// The driver, or `None` after saying the test was skipped (failing instead when
/// `CALBRIDGE_BROWSER_TESTS` demands the browser).
async fn driver_or_skip(test: &str) -> Option<Driver> {
    let driver = chromedriver().await;
    if driver.is_none() {
        assert!(
            std::env::var("CALBRIDGE_BROWSER_TESTS").is_err(),
            "CALBRIDGE_BROWSER_TESTS is set, but chromium or chromedriver is missing"
        );
        crate::support::skip(
            test,
            "needs chromium and chromedriver (apt-get install chromium chromium-driver)",
        );
    }
    driver
}

async fn browser(driver: &Driver, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                "--disable-sync", "--lang=en-US", "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": {"intl.accept_languages": "en-US,en"},
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector).capabilities(caps).connect(&driver.url).await.expect("a session")
}

async fn fill(client: &Client, id: &str, text: &str) {
    let field = client.find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("#{id}: {e}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Clicks what submits a form (or follows a link) and waits until the next page has
/// replaced this one.
async fn submit(client: &Client, css: &str) {
    let old = client.find(Locator::Css("html")).await.unwrap();
    click(client, css).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let replaced = old.tag_name().await.is_err();
        let ready = client
            .execute("return document.readyState", vec![])
            .await
            .is_ok_and(|state| state == "complete");
        if replaced && ready {
            return;
        }
        assert!(Instant::now() < deadline, "{css} did not lead to a new page");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn path(client: &Client) -> String {
    client.current_url().await.unwrap().path().to_owned()
}

/// What the page says (its markup, which is what a test can read reliably mid-journey).
async fn page_text(client: &Client) -> String {
    client.source().await.unwrap()
}

/// An administrator's invitation to the tenant, as the operator sends it.
async fn invitation(
    world: &World,
    tenant: uuid::Uuid,
    email: &str,
) -> calbridge::services::invites::CreatedInvite {
    let scope = crate::support::tenant_scope(tenant);
    let actor = calbridge::services::Actor::command_line();
    calbridge::services::invites::create(&world.app.state, &actor, scope, email, "tenant_admin")
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_customer_connects_microsoft_365_in_the_browser_and_sees_the_board() {
    let test = "a_new_customer_connects_microsoft_365_in_the_browser_and_sees_the_board";
    let Some(driver) = driver_or_skip(test).await else { return };
    let world = World::new().await;
    let hansen = world.prospect("Hansen", "hansen.dk", AppRole::CalendarsRead).await;
    let now = now();
    let meeting = meeting(
        "Kundemøde",
        now - chrono::Duration::minutes(5),
        now + chrono::Duration::minutes(50),
    );
    let anna = world.mailbox(&hansen.customer, "anna", vec![meeting], false);
    let scheduler = world.scheduler(options("browser")).await.unwrap();
    let invite = invitation(&world, hansen.customer.id, "it@hansen.dk").await;
    let base = format!("http://{}", world.app.addr);
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, profile.path()).await;
    let started = Instant::now();

    // The invitation: a password, and the new admin is signed in.
    client.goto(&format!("{base}{}", invite.path)).await.unwrap();
    fill(&client, "f-password", PASSWORD).await;
    fill(&client, "f-password-repeat", PASSWORD).await;
    submit(&client, "main form button[type=submit]").await;
    assert_eq!(path(&client).await, "/dashboard");
    submit(&client, "a[href='/setup']").await;
    assert_eq!(path(&client).await, "/setup/company");
    submit(&client, "main form button.primary").await;
    assert_eq!(path(&client).await, "/setup/calendar");
    submit(&client, "form[action='/setup/calendar'] button.primary").await;
    for step in ["/setup/entra", "/setup/restrict"] {
        assert_eq!(path(&client).await, step);
        submit(&client, "form[action='/setup/next'] button.primary").await;
    }
    assert_eq!(path(&client).await, "/setup/credentials");

    // The Secret ID instead of the Value: explained before anything is sent.
    fill(&client, "f-directory_id", &hansen.customer.directory).await;
    fill(&client, "f-client_id", &hansen.client).await;
    fill(&client, "f-client_secret", "6e2d1b0a-1111-4222-8333-944455566677").await;
    fill(&client, "f-test_mailbox", &anna).await;
    click(&client, "input[name=detail][value=full]").await;
    submit(&client, "button[name=action][value=save]").await;
    let text = page_text(&client).await;
    assert!(text.contains("Secret ID"), "{text}");

    // A wrong secret: Microsoft's answer, explained with its fix; the form keeps the rest.
    fill(&client, "f-client_secret", "Wrong~secret.value.123").await;
    submit(&client, "button[name=action][value=save]").await;
    let text = page_text(&client).await;
    assert!(text.contains("The client secret is wrong"), "{text}");
    assert!(text.contains("not its Secret ID"), "{text}");

    // The right secret: tested, saved, and on to the users.
    fill(&client, "f-client_secret", &hansen.secret).await;
    click(&client, "input[name=detail][value=full]").await;
    submit(&client, "button[name=action][value=save]").await;
    assert_eq!(path(&client).await, "/setup/users", "{}", page_text(&client).await);
    fill(&client, "f-email", &anna).await;
    fill(&client, "f-display_name", "Anna Hansen").await;
    submit(&client, "form[action='/setup/users'] button").await;
    assert!(page_text(&client).await.contains("Anna Hansen"));
    submit(&client, "form[action='/setup/next'] button.primary").await;
    assert_eq!(path(&client).await, "/setup/done");
    submit(&client, "form[action='/setup/done'] button.primary").await;
    assert_eq!(path(&client).await, "/presence");

    // The first sync runs at once: Anna shows busy in her meeting.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = page_text(&client).await;
        if text.contains("Anna Hansen") && text.contains("Kundemøde") {
            break;
        }
        assert!(Instant::now() < deadline, "the board never showed Anna's meeting: {text}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        client.refresh().await.unwrap();
    }
    let took = started.elapsed();
    {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "browser journey took {:.1} s", took.as_secs_f64());
    }
    client.close().await.unwrap();
    scheduler.shutdown().await;
}

/// The Exchange on-premises path of the wizard: the script, a wrong password explained,
/// then the right one, and the board.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_municipality_connects_exchange_on_premises_in_the_browser() {
    let Some(driver) =
        driver_or_skip("a_municipality_connects_exchange_on_premises_in_the_browser").await
    else {
        return;
    };
    let world = World::new_with(|c| c.ews_allow_private = true).await;
    let fjordby = world.exchange_prospect("Fjordby", "fjordby.dk").await;
    let now = now();
    let meeting = meeting(
        "Byrådsmøde",
        now - chrono::Duration::minutes(5),
        now + chrono::Duration::minutes(50),
    );
    let karen = world.mailbox(&fjordby.customer, "karen", vec![meeting], false);
    let scheduler = world.scheduler(options("browser-ews")).await.unwrap();
    let invite = invitation(&world, fjordby.customer.id, "it@fjordby.dk").await;
    let base = format!("http://{}", world.app.addr);
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, profile.path()).await;

    client.goto(&format!("{base}{}", invite.path)).await.unwrap();
    fill(&client, "f-password", PASSWORD).await;
    fill(&client, "f-password-repeat", PASSWORD).await;
    submit(&client, "main form button[type=submit]").await;
    client.goto(&format!("{base}/setup/calendar")).await.unwrap();
    click(&client, "input[name=system][value=ews]").await;
    submit(&client, "form[action='/setup/calendar'] button.primary").await;
    assert_eq!(path(&client).await, "/setup/entra");
    let text = page_text(&client).await;
    assert!(text.contains("Add-MailboxFolderPermission") && text.contains("FolderType"), "{text}");
    submit(&client, "form[action='/setup/next'] button.primary").await;
    assert_eq!(path(&client).await, "/setup/credentials", "the access-policy step is skipped");

    fill(&client, "f-ews_url", &world.sim.ews_url()).await;
    fill(&client, "f-ews_username", &fjordby.client).await;
    fill(&client, "f-ews_password", "Forkert-2030").await;
    fill(&client, "f-ews_ca_pem", world.sim.ca_pem()).await;
    fill(&client, "f-test_mailbox", &karen).await;
    click(&client, "input[name=detail][value=full]").await;
    submit(&client, "button[name=action][value=save]").await;
    let text = page_text(&client).await;
    assert!(text.contains("Exchange refused the service account"), "{text}");
    assert!(!text.contains("Forkert-2030"));

    // The right password; the address, account and certificate were kept.
    fill(&client, "f-ews_password", &fjordby.secret).await;
    submit(&client, "button[name=action][value=save]").await;
    assert_eq!(path(&client).await, "/setup/users", "{}", page_text(&client).await);
    fill(&client, "f-email", &karen).await;
    fill(&client, "f-display_name", "Karen Thygesen").await;
    submit(&client, "form[action='/setup/users'] button").await;
    submit(&client, "form[action='/setup/next'] button.primary").await;
    submit(&client, "form[action='/setup/done'] button.primary").await;
    assert_eq!(path(&client).await, "/presence");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = page_text(&client).await;
        if text.contains("Karen Thygesen") && text.contains("Byrådsmøde") {
            break;
        }
        assert!(Instant::now() < deadline, "the board never showed Karen's meeting: {text}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        client.refresh().await.unwrap();
    }
    client.close().await.unwrap();
    scheduler.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_changes_a_row_in_place_and_keeps_what_the_receptionist_typed() {
    let test = "the_board_changes_a_row_in_place_and_keeps_what_the_receptionist_typed";
    let Some(driver) = driver_or_skip(test).await else { return };
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    world.app.create_member(hansen.id, "reception@hansen.dk", "receptionist").await;
    let start = now() + chrono::Duration::seconds(12);
    let anna_meeting = meeting("Kundemøde", start, start + chrono::Duration::minutes(30));
    world.person(&hansen, "anna", vec![anna_meeting]).await;
    world.person(&hansen, "bo", vec![]).await;
    world.sync(&hansen).await;
    let scheduler = world.scheduler(options("live")).await.unwrap();
    let base = format!("http://{}", world.app.addr);
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, profile.path()).await;

    client.goto(&format!("{base}/login")).await.unwrap();
    fill(&client, "f-email", "reception@hansen.dk").await;
    fill(&client, "f-password", PASSWORD).await;
    submit(&client, "main form button[type=submit]").await;
    client.goto(&format!("{base}/presence")).await.unwrap();
    // A mark on this very page: a reload would lose it.
    client.execute("window.notReloaded = true; return true", vec![]).await.unwrap();

    // The receptionist types (without searching) while anna's meeting is about to start.
    let search = client.find(Locator::Id("f-q")).await.unwrap();
    search.click().await.unwrap();
    search.send_keys("ann").await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let live = client.find(Locator::Id("board-live")).await.unwrap().html(true).await.unwrap();
        if live.contains("Kundemøde") {
            assert!(!live.contains("bo@hansen.dk"), "the typed search filters the rows: {live}");
            assert!(live.contains("Updated"), "{live}");
            break;
        }
        assert!(Instant::now() < deadline, "anna's row never changed: {live}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let typed = client.find(Locator::Id("f-q")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(typed.as_deref(), Some("ann"), "the search field keeps its text");
    let state = client
        .execute(
            "return [window.notReloaded === true, document.activeElement && document.activeElement.id]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(state, serde_json::json!([true, "f-q"]), "no reload, and the field keeps its focus");
    client.close().await.unwrap();
    scheduler.shutdown().await;
}
