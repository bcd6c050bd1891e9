//! The OpenAPI document is generated from the code; here it is held to the real responses:
//! every documented path answers, and in the documented shape.

use std::time::Duration;

use calbridge::web::{Access, ROUTES};
use serde_json::{Value, json};

use super::{ApiClient, token};
use crate::support::world::{World, meeting, now};

/// Checks `instance` against the schema at `pointer` of the document (a `$ref` target), and
/// that it has no property the schema does not declare.
fn conforms(doc: &Value, schema: &Value, instance: &Value, what: &str) {
    let mut root = doc.clone();
    root["$ref"] = schema["$ref"].clone();
    if schema.get("$ref").is_none() {
        root = schema.clone();
    }
    let validator = jsonschema::validator_for(&root).unwrap();
    let errors: Vec<String> = validator.iter_errors(instance).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{what}: {errors:?}\n{instance}");
    undeclared(doc, schema, instance, what);
}

/// Every property present is declared (the schemas allow more by default; we do not send more).
fn undeclared(doc: &Value, schema: &Value, instance: &Value, what: &str) {
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap(),
        None => schema,
    };
    if let Some(variants) = schema.get("oneOf").and_then(Value::as_array) {
        for v in variants.iter().filter(|v| v.get("$ref").is_some()) {
            if !instance.is_null() {
                undeclared(doc, v, instance, what);
            }
        }
        return;
    }
    match instance {
        Value::Object(fields) => {
            let props = &schema["properties"];
            for (name, value) in fields {
                let declared =
                    props.get(name).unwrap_or_else(|| panic!("{what}: `{name}` is not documented"));
                undeclared(doc, declared, value, what);
            }
        }
        Value::Array(items) => {
            for item in items {
                undeclared(doc, &schema["items"], item, what);
            }
        }
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_path_answers_in_the_documented_shape() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    let start = now() - chrono::Duration::minutes(5);
    world
        .person(
            &hansen,
            "anna",
            vec![meeting("Kundemøde", start, start + chrono::Duration::hours(1))],
        )
        .await;
    world.person(&hansen, "bo", vec![]).await;
    world.sync(&hansen).await;
    let api = ApiClient::new(&world.app, &token(&world.app, hansen.id, "Omstilling").await);

    let doc: Value = reqwest::get(format!("http://{}/api/v1/openapi.json", world.app.addr))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for route in ROUTES.iter().filter(|r| r.access == Access::ApiToken) {
        assert!(
            paths.contains_key(route.path),
            "{} is in the route table but not documented",
            route.path
        );
    }

    let mut checked = 0;
    for (path, item) in paths {
        let operation = &item["get"];
        let concrete = path.replace("{email}", "anna@hansen.dk");
        let ok = &operation["responses"]["200"]["content"];
        if let Some(media) = ok.get("application/json") {
            let res = api.get(&concrete).await;
            assert_eq!(res.status(), 200, "{path}");
            assert!(res.headers().contains_key("etag"), "{path}: documented ETag");
            let body: Value = res.json().await.unwrap();
            conforms(&doc, &media["schema"], &body, path);
            let anna =
                if body.get("users").is_some() { body["users"][0].clone() } else { body.clone() };
            assert_eq!(anna["state"], "busy", "{path}: {anna}");
            assert_eq!(anna["appointment"]["subject"], "Kundemøde");
        } else {
            assert!(ok.get("text/event-stream").is_some(), "{path}: {ok}");
            let mut stream = api.stream(&concrete, None).await;
            let snapshot = stream.next(Duration::from_secs(5)).await.expect("a snapshot");
            assert_eq!(snapshot.event, "snapshot");
            let list_schema = &paths["/api/v1/presence"]["get"]["responses"]["200"]["content"]["application/json"]
                ["schema"];
            conforms(&doc, list_schema, &serde_json::from_str(&snapshot.data).unwrap(), path);
        }
        // Without a token: the documented problem document.
        let res = reqwest::get(format!("http://{}{concrete}", world.app.addr)).await.unwrap();
        assert_eq!(res.status(), 401);
        let problem_schema =
            &operation["responses"]["401"]["content"]["application/problem+json"]["schema"];
        let body: Value = res.json().await.unwrap();
        conforms(&doc, problem_schema, &body, &format!("{path} 401"));
        checked += 1;
    }
    assert_eq!(checked, 3);
    // The one person's 404 is documented and shaped alike.
    let res = api.get("/api/v1/presence/nobody@hansen.dk").await;
    assert_eq!(res.status(), 404);
    let schema = json!({"$ref": "#/components/schemas/Problem"});
    conforms(&doc, &schema, &res.json().await.unwrap(), "404");
}
