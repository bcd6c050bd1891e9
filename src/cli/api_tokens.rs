//! `calbridge api-token create | list | revoke`.

use anyhow::Context;
use sea_orm::prelude::Uuid;
use serde_json::json;

use super::ApiTokenCommand;
use super::context::{Failure, state, tenant_scope};
use super::output::{printable, table};
use crate::services::{Actor, api_tokens};

pub(super) async fn run(command: ApiTokenCommand) -> Result<(), Failure> {
    let state = state().await?;
    match command {
        ApiTokenCommand::Create { tenant, name } => {
            let scope = tenant_scope(&state, &tenant).await?;
            let created = api_tokens::create(&state, &Actor::command_line(), scope, &name).await?;
            eprintln!(
                "Token '{}' ({}) created. It is shown only now; store it where it is used.",
                printable(&created.row.name),
                created.row.id
            );
            println!("{}", created.token);
        }
        ApiTokenCommand::List { tenant, json } => {
            let scope = tenant_scope(&state, &tenant).await?;
            let tokens = api_tokens::list(&state, scope).await?;
            if json {
                let list: Vec<_> = tokens
                    .iter()
                    .map(|t| {
                        json!({
                            "id": t.id, "name": t.name, "prefix": t.prefix,
                            "created_at": t.created_at, "created_by": t.created_by,
                            "last_used_at": t.last_used_at, "revoked_at": t.revoked_at,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list).context("writing JSON")?);
            } else {
                let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
                    t.map_or("-".to_owned(), |t| t.format("%Y-%m-%d %H:%M").to_string())
                };
                let rows: Vec<Vec<String>> = tokens
                    .iter()
                    .map(|t| {
                        vec![
                            t.id.to_string(),
                            printable(&t.name).into_owned(),
                            t.prefix.clone(),
                            when(Some(t.created_at)),
                            when(t.last_used_at),
                            if t.revoked_at.is_some() { "revoked" } else { "active" }.to_owned(),
                        ]
                    })
                    .collect();
                let headers = ["ID", "NAME", "TOKEN", "CREATED", "LAST USED", "STATUS"];
                println!("{}", table(&headers, &rows));
            }
        }
        ApiTokenCommand::Revoke { tenant, id } => {
            let scope = tenant_scope(&state, &tenant).await?;
            let id = Uuid::parse_str(id.trim()).map_err(|_| {
                Failure::Usage(format!("'{id}' is not a token id (see: calbridge api-token list)"))
            })?;
            api_tokens::revoke(&state, &Actor::command_line(), scope, id).await.map_err(
                |e| match e {
                    crate::services::Error::NotFound => {
                        Failure::Usage(format!("no live token {id} in this tenant"))
                    }
                    other => other.into(),
                },
            )?;
            eprintln!("Token {id} revoked.");
        }
    }
    Ok(())
}
