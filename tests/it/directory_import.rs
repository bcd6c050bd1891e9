//! Users → Import and Export, as an admin with a spreadsheet uses them, and the CLI's
//! `user import` / `user export`.

use calbridge::services::directory::{self, DirectoryUser};
use uuid::Uuid;

use crate::cli::calbridge;
use crate::support::{Browser, PASSWORD, Page, TestApp, tenant_scope};

async fn admin_of(app: &TestApp, licences: u32) -> (Uuid, Browser) {
    let tenant = app.create_tenant("Hansen", licences).await;
    app.create_member(tenant, "admin@hansen.dk", "tenant_admin").await;
    let admin = app.browser();
    admin.login("admin@hansen.dk", PASSWORD).await;
    (tenant, admin)
}

async fn users(app: &TestApp, tenant: Uuid) -> Vec<DirectoryUser> {
    directory::list(&app.state, tenant_scope(tenant)).await.unwrap()
}

fn user<'a>(all: &'a [DirectoryUser], email: &str) -> &'a DirectoryUser {
    all.iter().find(|u| u.email.eq_ignore_ascii_case(email)).unwrap()
}

/// Uploads the file from the import page; returns the preview (after the redirect).
async fn preview(admin: &Browser, file: &[u8]) -> (String, Page) {
    let token = admin.get("/users/import").await.csrf();
    let res = admin.upload("/users/import", Some(&token), "brugere.csv", file).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let at = res.location().unwrap().to_owned();
    let page = admin.get(&at).await;
    assert_eq!(page.status, 200);
    (at, page)
}

fn digest(page: &Page) -> String {
    let marker = "name=\"digest\" value=\"";
    let start = page.body.find(marker).expect("preview has an import button") + marker.len();
    page.body[start..start + 32].to_owned()
}

async fn apply(admin: &Browser, at: &str, page: &Page, extra: &[(&str, &str)]) -> Page {
    let d = digest(page);
    let mut fields = vec![("digest", d.as_str())];
    fields.extend_from_slice(extra);
    admin.post_with_token(at, &page.csrf(), &fields).await
}

fn stat(page: &Page, label: &str) -> String {
    let end = page.body.find(&format!("<span class=\"stat-label\">{label}</span>")).unwrap();
    let before = &page.body[..end];
    let start = before.rfind("<span class=\"stat-value\">").unwrap() + 25;
    before[start..].trim_end_matches("</span>").to_owned()
}

#[tokio::test]
async fn danish_excel_file_is_previewed_applied_and_reimports_as_no_change() {
    let app = TestApp::spawn().await;
    let (tenant, admin) = admin_of(&app, 10).await;
    app.add_user(tenant, "bo@hansen.dk").await;
    // "CSV (semikolonsepareret)" from Excel on a Danish Windows: Windows-1252, `;`, CRLF.
    let text = "Navn;E-mail;Lokalnummer;Afdeling;Synkronisering;Kostcenter\r\n\
                Søren Ærø;soren@hansen.dk;201;Salg;ja;7\r\n\
                Bo Østergaard;BO@hansen.dk;202;Lager;x;7\r\n\
                Åse Ibsen;aase@hansen.dk;;;nej;7\r\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    let (at, page) = preview(&admin, &bytes).await;
    assert_eq!(stat(&page, "New"), "2");
    assert_eq!(stat(&page, "Changed"), "1");
    assert!(page.body.contains("Søren Ærø"));
    assert!(page.body.contains("Kostcenter"), "the unknown column is named");
    assert!(page.body.contains("Changed: Name, Extension, Department"), "{}", page.body);
    assert!(users(&app, tenant).await.len() == 1, "the preview changes nothing");

    let done = apply(&admin, &at, &page, &[]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), Some("/users?done=imported"));
    let all = users(&app, tenant).await;
    assert_eq!(all.len(), 3);
    let soren = user(&all, "soren@hansen.dk");
    assert_eq!(soren.display_name.as_deref(), Some("Søren Ærø"));
    assert_eq!(soren.department.as_deref(), Some("Salg"));
    assert!(soren.sync_enabled);
    let bo = user(&all, "bo@hansen.dk");
    assert_eq!(bo.email, "bo@hansen.dk", "the address stays as first typed");
    assert_eq!(bo.extension.as_deref(), Some("202"));
    assert!(bo.sync_enabled);
    assert!(!user(&all, "aase@hansen.dk").sync_enabled);
    assert!(admin.get("/users?done=imported").await.body.contains("The import is done."));
    assert_eq!(imports_audited(&app).await, 1, "one entry for the whole file");
    let audit = admin.get("/audit").await;
    assert!(audit.body.contains("Users imported from a spreadsheet"), "{}", audit.body);

    // The upload is used up, and the same file again changes nothing.
    assert_eq!(admin.get(&at).await.status, 404);
    let (_, again) = preview(&admin, &bytes).await;
    assert!(again.body.contains("The file changes nothing"));
    assert_eq!(stat(&again, "Unchanged"), "3");
    assert!(!again.body.contains("name=\"digest\""), "nothing to confirm");
    assert_eq!(users(&app, tenant).await.len(), 3);
    assert_eq!(imports_audited(&app).await, 1);
}

async fn imports_audited(app: &TestApp) -> usize {
    let events = calbridge::db::audit::list_all(&app.state.db, 1000).await.unwrap();
    events.iter().filter(|e| e.action == "user.imported").count()
}

#[tokio::test]
async fn every_kind_of_row_error_is_listed_with_its_line_and_the_rest_imported() {
    let app = TestApp::spawn().await;
    let (tenant, admin) = admin_of(&app, 10).await;
    let long = "x".repeat(201);
    let file = format!(
        "email,name,extension,sync\n\
         ok@hansen.dk,Ok,10,yes\n\
         not-an-address,B,11,\n\
         OK@hansen.dk,C,12,\n\
         long@hansen.dk,{long},13,\n\
         ext@hansen.dk,E,12ab,\n\
         sync@hansen.dk,F,14,maybe\n"
    );
    let (at, page) = preview(&admin, file.as_bytes()).await;
    assert_eq!(stat(&page, "With errors (skipped)"), "5");
    for (line, reason) in [
        (3, "E-mail: Not a valid e-mail address."),
        (4, "Already in the file, on line 2."),
        (5, "Name: Too long: at most 200 characters."),
        (6, "Extension:"),
        (7, "Sync must be yes, no, 1, 0 or x."),
    ] {
        let row = format!("<tr><td>{line}</td>");
        let at_row = page.body.find(&row).unwrap_or_else(|| panic!("line {line} missing"));
        let rest = &page.body[at_row..];
        let end = rest.find("</tr>").unwrap();
        assert!(rest[..end].contains(reason), "line {line}: {}", &rest[..end]);
    }
    assert_eq!(apply(&admin, &at, &page, &[]).await.status, 303);
    let all = users(&app, tenant).await;
    assert_eq!(all.len(), 1);
    assert!(all[0].sync_enabled);
}

#[tokio::test]
async fn files_that_cannot_be_imported_are_refused_with_the_reason() {
    let app = TestApp::spawn().await;
    let (_, admin) = admin_of(&app, 10).await;
    let token = admin.get("/users/import").await.csrf();
    for (file, reason) in [
        (b"name;department\nAnna;Sales\n".to_vec(), "The file has no e-mail column"),
        (Vec::new(), "Choose a CSV file"),
        (vec![b'a'; 5 * 1024 * 1024], "The file is too large: at most 4 MB."),
    ] {
        let name = if file.is_empty() { "" } else { "users.csv" };
        let res = admin.upload("/users/import", Some(&token), name, &file).await;
        assert_eq!(res.status, 422, "{reason}");
        assert!(res.body.contains(reason), "{reason}: {}", res.body);
    }
    let mut many = String::from("email\n");
    for i in 0..20_001 {
        many.push_str(&format!("u{i}@hansen.dk\n"));
    }
    let res = admin.upload("/users/import", Some(&token), "many.csv", many.as_bytes()).await;
    assert!(res.body.contains("too many rows"));
}

#[tokio::test]
async fn too_few_licences_offers_importing_without_sync_for_the_rest() {
    let app = TestApp::spawn().await;
    let (tenant, admin) = admin_of(&app, 2).await;
    let file = "email;sync\na@hansen.dk;ja\nb@hansen.dk;ja\nc@hansen.dk;ja\n";
    let (at, page) = preview(&admin, file.as_bytes()).await;
    assert!(page.body.contains("id=\"shortfall\""));
    assert!(page.body.contains("<strong>2</strong> of 3"), "{}", page.body);
    assert!(page.body.contains("No licence: stays off"));

    let refused = apply(&admin, &at, &page, &[]).await;
    assert_eq!(refused.status, 409);
    assert!(refused.body.contains("not enough licences"));
    assert!(users(&app, tenant).await.is_empty(), "nothing was imported");

    let done = apply(&admin, &at, &refused, &[("enable_what_fits", "1")]).await;
    assert_eq!(done.status, 303);
    let all = users(&app, tenant).await;
    assert_eq!(all.len(), 3);
    assert!(user(&all, "a@hansen.dk").sync_enabled && user(&all, "b@hansen.dk").sync_enabled);
    assert!(!user(&all, "c@hansen.dk").sync_enabled, "file order gets the licences");
}

#[tokio::test]
async fn a_directory_changed_since_the_preview_is_previewed_again() {
    let app = TestApp::spawn().await;
    let (tenant, admin) = admin_of(&app, 5).await;
    let (at, page) = preview(&admin, b"email;navn\nny@hansen.dk;Ny\n").await;
    admin.submit("/users", "/users", &[("email", "ny@hansen.dk"), ("display_name", "Other")]).await;
    let again = apply(&admin, &at, &page, &[]).await;
    assert_eq!(again.status, 409);
    assert!(again.body.contains("The user list has changed since the preview"));
    assert!(again.body.contains("Changed: Name"), "the new preview shows the change now");
    assert_eq!(apply(&admin, &at, &again, &[]).await.status, 303);
    assert_eq!(users(&app, tenant).await[0].display_name.as_deref(), Some("Ny"));
}

#[tokio::test]
async fn removing_users_not_in_the_file_is_off_unless_chosen_and_shows_who() {
    let app = TestApp::spawn().await;
    let (tenant, admin) = admin_of(&app, 5).await;
    app.add_user(tenant, "stays@hansen.dk").await;
    app.add_user(tenant, "leaves@hansen.dk").await;
    let (at, page) = preview(&admin, b"email\nstays@hansen.dk\n").await;
    assert!(!page.body.contains("leaves@hansen.dk"));
    let with_removal = admin.get(&format!("{at}?remove=1")).await;
    assert!(with_removal.body.contains("leaves@hansen.dk"));
    assert!(with_removal.body.contains("name=\"remove\" value=\"1\""));
    let done = apply(&admin, &at, &with_removal, &[("remove", "1")]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let all = users(&app, tenant).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].email, "stays@hansen.dk");
}

#[tokio::test]
async fn export_opens_safely_in_a_spreadsheet_and_imports_back_unchanged() {
    let app = TestApp::spawn().await;
    let (tenant, admin) = admin_of(&app, 5).await;
    let res = admin
        .submit(
            "/users",
            "/users",
            &[
                ("email", "anna@hansen.dk"),
                ("display_name", "=HYPERLINK(\"http://evil.example\";\"Klik\")"),
                ("extension", "+45 1234"),
                ("department", "Salg; Øst"),
                ("sync", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    app.add_user(tenant, "bo@hansen.dk").await;
    let export = admin.get("/users/export").await;
    assert_eq!(export.status, 200);
    assert!(export.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(export.headers["content-disposition"].to_str().unwrap().contains("attachment"));
    assert!(export.body.starts_with("\u{feff}E-mail;Name;Extension;Department;Sync\r\n"));
    assert!(export.body.contains("\"'=HYPERLINK(\"\"http://evil.example\"\";\"\"Klik\"\")\""));
    assert!(export.body.contains(";'+45 1234;\"Salg; Øst\";yes\r\n"), "{}", export.body);
    assert!(!export.body.contains(";=HYPERLINK"), "no cell starts with a formula");

    let (_, page) = preview(&admin, export.body.as_bytes()).await;
    assert!(page.body.contains("The file changes nothing"), "{}", page.body);
    assert_eq!(stat(&page, "Unchanged"), "2");

    let template = admin.get("/users/import/template").await;
    assert_eq!(template.body, "\u{feff}E-mail;Name;Extension;Department;Sync\r\n");
}

#[tokio::test]
async fn ten_thousand_rows_import_over_http() {
    let app = TestApp::spawn().await;
    let (tenant, admin) = admin_of(&app, 10_000).await;
    let mut file = String::from("E-mail;Navn;Lokalnummer;Afdeling;Synkronisering\r\n");
    for i in 0..10_000 {
        file.push_str(&format!(
            "medarbejder{i}@hansen.dk;Medarbejder {i};{};Afd {};ja\r\n",
            1000 + i,
            i % 40
        ));
    }
    let (at, page) = preview(&admin, file.as_bytes()).await;
    assert_eq!(stat(&page, "New"), "10000");
    assert!(page.body.contains("9500 more rows"), "only the first 500 are listed");
    assert_eq!(apply(&admin, &at, &page, &[]).await.status, 303);
    let all = users(&app, tenant).await;
    assert_eq!(all.len(), 10_000);
    assert!(all.iter().all(|u| u.sync_enabled));
    let (_, again) = preview(&admin, file.as_bytes()).await;
    assert_eq!(stat(&again, "Unchanged"), "10000");
}

#[tokio::test]
async fn uploads_are_the_tenants_own_and_every_form_needs_its_token() {
    let app = TestApp::spawn().await;
    let (_, admin) = admin_of(&app, 5).await;
    let (at, page) = preview(&admin, b"email\na@hansen.dk\n").await;

    let other = app.create_tenant("Jensen", 5).await;
    app.create_member(other, "admin@jensen.dk", "tenant_admin").await;
    let stranger = app.browser();
    stranger.login("admin@jensen.dk", PASSWORD).await;
    assert_eq!(stranger.get(&at).await.status, 404);
    let token = stranger.get("/users").await.csrf();
    let taken = stranger.post_with_token(&at, &token, &[("digest", &digest(&page))]).await;
    assert_eq!(taken.status, 404);
    assert!(users(&app, other).await.is_empty());

    assert_eq!(
        admin.upload("/users/import", None, "u.csv", b"email\nx@hansen.dk\n").await.status,
        403
    );
    assert_eq!(
        admin.upload("/users/import", Some("forged"), "u.csv", b"email\n").await.status,
        403
    );
    let no_token = admin
        .post_raw(&at, &[("digest", &digest(&page))], &[("sec-fetch-site", "same-origin")])
        .await;
    assert_eq!(no_token.status, 403);
    let receptionist = app.browser();
    let tenant = app.create_tenant("Holm", 5).await;
    app.create_member(tenant, "desk@holm.dk", "receptionist").await;
    receptionist.login("desk@holm.dk", PASSWORD).await;
    assert_eq!(receptionist.get("/users/export").await.status, 403);
}

#[tokio::test]
async fn the_command_line_previews_imports_and_exports() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("Hansen", 1).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("brugere.csv");
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(
        "Navn;E-mail;Synk\r\nSøren Ærø;soren@hansen.dk;ja\r\nBo;bo@hansen.dk;ja\r\nX;nope;\r\n",
    );
    std::fs::write(&path, &bytes).unwrap();
    let file = path.to_str().unwrap();
    let id = tenant.to_string();

    let dry = calbridge(&app, &["user", "import", "--tenant", &id, file, "--dry-run"], None).await;
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(dry.stdout.contains("line 4: nope:"), "{}", dry.stdout);
    assert!(dry.stdout.contains("new 2,"));
    assert!(dry.stdout.contains("nothing was changed"));
    assert!(users(&app, tenant).await.is_empty());

    let short = calbridge(&app, &["user", "import", "--tenant", &id, file], None).await;
    assert_eq!(short.code, 2);
    assert!(short.stderr.contains("--enable-what-fits"));
    let done =
        calbridge(&app, &["user", "import", "--tenant", &id, file, "--enable-what-fits"], None)
            .await;
    assert_eq!(done.code, 0, "{}", done.stderr);
    let all = users(&app, tenant).await;
    assert_eq!(all.len(), 2);
    assert_eq!(user(&all, "soren@hansen.dk").display_name.as_deref(), Some("Søren Ærø"));

    let export = calbridge(&app, &["user", "export", "--tenant", &id], None).await;
    assert_eq!(export.code, 0);
    assert!(
        export.stdout.starts_with("\u{feff}E-mail;Navn;Lokalnummer;Afdeling;Synkronisering\r\n")
    );
    assert!(export.stdout.contains("soren@hansen.dk;Søren Ærø;;;ja\r\n"), "{}", export.stdout);
    std::fs::write(&path, export.stdout.as_bytes()).unwrap();
    let again = calbridge(&app, &["user", "import", "--tenant", &id, file], None).await;
    assert!(again.stdout.contains("new 0, changed 0, unchanged 2"), "{}", again.stdout);
}
