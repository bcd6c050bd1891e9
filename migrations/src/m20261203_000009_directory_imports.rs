//! Uploaded user lists waiting for the admin's "import" click. The file is kept here, not in
//! the browser, so any instance can apply what the admin previewed; it expires within the hour.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum DirectoryImports {
    Table,
    Id,
    TenantId,
    FileName,
    Content,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DirectoryImports::Table)
                    .col(uuid(DirectoryImports::Id).primary_key())
                    .col(uuid(DirectoryImports::TenantId))
                    .col(string(DirectoryImports::FileName))
                    .col(text(DirectoryImports::Content))
                    .col(timestamp_with_time_zone(DirectoryImports::CreatedAt))
                    .col(timestamp_with_time_zone(DirectoryImports::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DirectoryImports::Table, DirectoryImports::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_directory_imports_tenant")
                    .table(DirectoryImports::Table)
                    .col(DirectoryImports::TenantId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(DirectoryImports::Table).to_owned()).await
    }
}
