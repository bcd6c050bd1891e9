//! A storage outage on demand: while it lasts, inserts into the chosen tables fail inside the
//! database (a trigger raises), as a full disk or a lost connection makes them fail, while
//! everything else still answers.

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};

pub struct Outage {
    db: DatabaseConnection,
}

impl Outage {
    /// Installs the triggers on `tables`; inserts into them fail from now until [`Outage::end`].
    pub async fn begin(db: &DatabaseConnection, tables: &[&str]) -> Outage {
        let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
        let mut statements = vec!["CREATE TABLE IF NOT EXISTS outage (id INTEGER)".to_owned()];
        if postgres {
            statements.push(
                "CREATE OR REPLACE FUNCTION outage_check() RETURNS trigger AS $$ BEGIN \
                 IF EXISTS (SELECT 1 FROM outage) THEN RAISE EXCEPTION 'the storage is gone'; \
                 END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
                    .to_owned(),
            );
        }
        for table in tables {
            statements.push(if postgres {
                format!(
                    "CREATE TRIGGER {table}_outage BEFORE INSERT ON {table} FOR EACH ROW \
                     EXECUTE FUNCTION outage_check()"
                )
            } else {
                format!(
                    "CREATE TRIGGER {table}_outage BEFORE INSERT ON {table} \
                     WHEN EXISTS (SELECT 1 FROM outage) \
                     BEGIN SELECT RAISE(ABORT, 'the storage is gone'); END"
                )
            });
        }
        statements.push("INSERT INTO outage (id) VALUES (1)".to_owned());
        for sql in statements {
            db.execute_unprepared(&sql).await.unwrap();
        }
        Outage { db: db.clone() }
    }

    /// The storage answers again (the triggers stay, idle).
    pub async fn end(self) {
        self.db.execute_unprepared("DELETE FROM outage").await.unwrap();
    }
}
