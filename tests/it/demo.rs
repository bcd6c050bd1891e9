//! `calbridge demo` as a first-time visitor runs it: one command, then log in.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_serves_a_seeded_tenant_and_prints_working_logins() {
    let workdir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_calbridge"))
        .args(["demo", "--bind", "127.0.0.1:0"])
        .current_dir(workdir.path())
        .env_clear()
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = Vec::new();
    let url = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let line = lines.next_line().await.unwrap().expect("demo printed its banner");
            banner.push(line.clone());
            if let Some(rest) = line.split("running at ").nth(1) {
                return rest.trim().to_owned();
            }
        }
    })
    .await
    .expect("demo started within a minute");
    loop {
        let line = lines.next_line().await.unwrap().expect("the rest of the banner");
        let last = line.starts_with("The database lives in");
        banner.push(line);
        if last {
            break;
        }
    }
    let banner = banner.join("\n");
    let login = |role: &str| -> (String, String) {
        let line = banner
            .lines()
            .find(|l| l.trim_start().starts_with(role))
            .unwrap_or_else(|| panic!("{role} in {banner}"));
        let parts: Vec<&str> = line.split_whitespace().collect();
        (parts[parts.len() - 2].to_owned(), parts[parts.len() - 1].to_owned())
    };
    let (email, password) = login("receptionist");

    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .unwrap();
    let login_page = client.get(format!("{url}/login")).send().await.unwrap().text().await.unwrap();
    let marker = "name=\"csrf_token\" value=\"";
    let start = login_page.find(marker).unwrap() + marker.len();
    let token = &login_page[start..start + login_page[start..].find('"').unwrap()];
    let board = client
        .post(format!("{url}/login"))
        .form(&[("email", email.as_str()), ("password", password.as_str()), ("csrf_token", token)])
        .send()
        .await
        .unwrap();
    assert!(board.url().path().ends_with("/presence"), "{}", board.url());

    // The first sync runs at once; within a few seconds the board shows who is busy.
    let mut body = String::new();
    for _ in 0..40 {
        body = client.get(format!("{url}/presence")).send().await.unwrap().text().await.unwrap();
        if body.contains("Optaget") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(body.contains("Optaget"), "somebody is in a meeting: {body}");
    assert!(body.contains("Anne Sørensen") && body.contains("Birgitte Holm"));
    assert_eq!(body.matches("<tr class=\"row-").count(), 26, "25 people and one wrong address");
    assert!(body.contains("Postkassen findes ikke"), "the missing mailbox is explained");

    // The second company connects in the portal with the values the banner prints.
    let value = |label: &str| -> String {
        let line = banner.lines().find(|l| l.trim_start().starts_with(label)).unwrap();
        line.split_whitespace().last().unwrap().to_owned()
    };
    let newcomer = banner
        .split("Sign in as ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the banner names the second company's admin")
        .to_owned();
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let admin = reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .unwrap();
    let csrf = |page: &str| {
        let start = page.find(marker).unwrap() + marker.len();
        page[start..start + page[start..].find('"').unwrap()].to_owned()
    };
    let page = admin.get(format!("{url}/login")).send().await.unwrap().text().await.unwrap();
    let signed_in = admin
        .post(format!("{url}/login"))
        .form(&[
            ("email", newcomer.as_str()),
            ("password", password.as_str()),
            ("csrf_token", &csrf(&page)),
        ])
        .send()
        .await
        .unwrap();
    assert!(signed_in.url().path().ends_with("/dashboard"), "{}", signed_in.url());
    let page =
        admin.get(format!("{url}/setup/credentials")).send().await.unwrap().text().await.unwrap();
    let fields = [
        ("directory_id", value("Directory (tenant) ID")),
        ("client_id", value("Application (client) ID")),
        ("client_secret", value("Client secret (Value)")),
        ("test_mailbox", value("a mailbox to test with")),
        ("detail", "full".to_owned()),
        ("action", "save".to_owned()),
        ("csrf_token", csrf(&page)),
    ];
    let saved = admin
        .post(format!("{url}/setup/credentials"))
        .header("origin", &url)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert!(saved.url().path().ends_with("/setup/users"), "{}", saved.text().await.unwrap());
    // Its Entra group, whose object ID the banner prints, can be chosen for sync.
    let page =
        admin.get(format!("{url}/settings/group")).send().await.unwrap().text().await.unwrap();
    let chosen = admin
        .post(format!("{url}/settings/group"))
        .header("origin", &url)
        .form(&[("group", value("Entra group object ID")), ("csrf_token", csrf(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(chosen.url().query(), Some("done=saved"), "{}", chosen.url());

    // Ctrl-C stops it cleanly and removes its temporary database.
    let folder = banner
        .split("The database lives in ")
        .nth(1)
        .and_then(|rest| rest.split(" and is deleted").next())
        .expect("the banner names the folder")
        .to_owned();
    assert!(std::path::Path::new(&folder).exists());
    let pid = child.id().unwrap().to_string();
    Command::new("kill").args(["-INT", &pid]).status().await.unwrap();
    let status =
        tokio::time::timeout(Duration::from_secs(30), child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status}");
    assert!(!std::path::Path::new(&folder).exists(), "{folder} removed");
}

/// `timeout`, systemd and container runtimes stop a program with SIGTERM, not ctrl-c: the
/// demo stops as cleanly, and leaves no database behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_demo_and_removes_its_folder() {
    let workdir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_calbridge"))
        .args(["demo", "--bind", "127.0.0.1:0"])
        .current_dir(workdir.path())
        .env_clear()
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let folder = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let line = lines.next_line().await.unwrap().expect("demo printed its banner");
            if let Some(rest) = line.split("The database lives in ").nth(1) {
                return rest.split(" and is deleted").next().unwrap().to_owned();
            }
        }
    })
    .await
    .expect("demo started within a minute");
    assert!(std::path::Path::new(&folder).exists());
    let pid = child.id().unwrap().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().await.unwrap();
    let status =
        tokio::time::timeout(Duration::from_secs(30), child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status}");
    assert!(!std::path::Path::new(&folder).exists(), "{folder} removed");
}
