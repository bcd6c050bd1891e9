//! Tenants, accounts and what hangs off them: the base every feature stands on.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Name,
    Cvr,
    ContactName,
    ContactEmail,
    ContactPhone,
    Licences,
    Timezone,
    Locale,
    State,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Email,
    DisplayName,
    Role,
    TenantId,
    PasswordHash,
    Locale,
    Disabled,
    FailedLogins,
    LockedUntil,
    LastLoginAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Invites {
    Table,
    Id,
    TokenHash,
    TenantId,
    Email,
    Role,
    InvitedBy,
    CreatedAt,
    ExpiresAt,
    AcceptedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    IdHash,
    AccountId,
    CreatedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    TenantId,
    ActorAccountId,
    ActorEmail,
    Action,
    Target,
    Detail,
    Ip,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DirectoryUsers {
    Table,
    Id,
    TenantId,
    Email,
    EmailKey,
    DisplayName,
    Extension,
    Department,
    SyncEnabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProviderConfigs {
    Table,
    TenantId,
    Kind,
    DirectoryId,
    ClientId,
    ClientSecretCiphertext,
    SecretExpiresOn,
    DetailLevel,
    EwsUrl,
    EwsUsername,
    EwsPasswordCiphertext,
    EwsAuthScheme,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SyncStates {
    Table,
    TenantId,
    NextRunAt,
    LeaseOwner,
    LeaseUntil,
    FencingToken,
    ConsecutiveFailures,
    BreakerOpenUntil,
    NeedsAdminAction,
    LastErrorCode,
    LastErrorMessage,
    LastRunAt,
    LastSuccessAt,
}

fn tenant_fk(table: impl IntoIden + 'static, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(pk_uuid(Tenants::Id))
                    .col(string(Tenants::Name))
                    .col(string_null(Tenants::Cvr))
                    .col(string_null(Tenants::ContactName))
                    .col(string_null(Tenants::ContactEmail))
                    .col(string_null(Tenants::ContactPhone))
                    .col(integer(Tenants::Licences))
                    .col(string(Tenants::Timezone))
                    .col(string(Tenants::Locale))
                    .col(string(Tenants::State))
                    .col(timestamp_with_time_zone(Tenants::CreatedAt))
                    .col(timestamp_with_time_zone(Tenants::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(pk_uuid(Accounts::Id))
                    .col(string_uniq(Accounts::Email))
                    .col(string_null(Accounts::DisplayName))
                    .col(string(Accounts::Role))
                    .col(uuid_null(Accounts::TenantId))
                    .col(string(Accounts::PasswordHash))
                    .col(string_null(Accounts::Locale))
                    .col(boolean(Accounts::Disabled).default(false))
                    .col(integer(Accounts::FailedLogins).default(0))
                    .col(timestamp_with_time_zone_null(Accounts::LockedUntil))
                    .col(timestamp_with_time_zone_null(Accounts::LastLoginAt))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .col(timestamp_with_time_zone(Accounts::UpdatedAt))
                    .foreign_key(&mut tenant_fk(Accounts::Table, Accounts::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_accounts_tenant")
                    .table(Accounts::Table)
                    .col(Accounts::TenantId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Invites::Table)
                    .col(pk_uuid(Invites::Id))
                    .col(string_uniq(Invites::TokenHash))
                    .col(uuid(Invites::TenantId))
                    .col(string(Invites::Email))
                    .col(string(Invites::Role))
                    .col(uuid_null(Invites::InvitedBy))
                    .col(timestamp_with_time_zone(Invites::CreatedAt))
                    .col(timestamp_with_time_zone(Invites::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Invites::AcceptedAt))
                    .col(timestamp_with_time_zone_null(Invites::RevokedAt))
                    .foreign_key(&mut tenant_fk(Invites::Table, Invites::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invites_tenant")
                    .table(Invites::Table)
                    .col(Invites::TenantId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string(Sessions::IdHash).primary_key())
                    .col(uuid(Sessions::AccountId))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::LastSeenAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sessions::Table, Sessions::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_account")
                    .table(Sessions::Table)
                    .col(Sessions::AccountId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(pk_uuid(AuditEvents::Id))
                    .col(uuid_null(AuditEvents::TenantId))
                    .col(uuid_null(AuditEvents::ActorAccountId))
                    .col(string_null(AuditEvents::ActorEmail))
                    .col(string(AuditEvents::Action))
                    .col(string_null(AuditEvents::Target))
                    .col(text_null(AuditEvents::Detail))
                    .col(string_null(AuditEvents::Ip))
                    .col(timestamp_with_time_zone(AuditEvents::CreatedAt))
                    .foreign_key(&mut tenant_fk(AuditEvents::Table, AuditEvents::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_tenant_time")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::TenantId)
                    .col(AuditEvents::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_time")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DirectoryUsers::Table)
                    .col(pk_uuid(DirectoryUsers::Id))
                    .col(uuid(DirectoryUsers::TenantId))
                    .col(string(DirectoryUsers::Email))
                    .col(string(DirectoryUsers::EmailKey))
                    .col(string_null(DirectoryUsers::DisplayName))
                    .col(string_null(DirectoryUsers::Extension))
                    .col(string_null(DirectoryUsers::Department))
                    .col(boolean(DirectoryUsers::SyncEnabled).default(false))
                    .col(timestamp_with_time_zone(DirectoryUsers::CreatedAt))
                    .col(timestamp_with_time_zone(DirectoryUsers::UpdatedAt))
                    .foreign_key(&mut tenant_fk(DirectoryUsers::Table, DirectoryUsers::TenantId))
                    .to_owned(),
            )
            .await?;
        // Case-insensitive uniqueness per tenant: the key column holds the lower-cased address.
        manager
            .create_index(
                Index::create()
                    .name("uq_directory_users_tenant_email")
                    .table(DirectoryUsers::Table)
                    .col(DirectoryUsers::TenantId)
                    .col(DirectoryUsers::EmailKey)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProviderConfigs::Table)
                    .col(uuid(ProviderConfigs::TenantId).primary_key())
                    .col(string(ProviderConfigs::Kind))
                    .col(string_null(ProviderConfigs::DirectoryId))
                    .col(string_null(ProviderConfigs::ClientId))
                    .col(text_null(ProviderConfigs::ClientSecretCiphertext))
                    .col(date_null(ProviderConfigs::SecretExpiresOn))
                    .col(string(ProviderConfigs::DetailLevel))
                    .col(string_null(ProviderConfigs::EwsUrl))
                    .col(string_null(ProviderConfigs::EwsUsername))
                    .col(text_null(ProviderConfigs::EwsPasswordCiphertext))
                    .col(string_null(ProviderConfigs::EwsAuthScheme))
                    .col(timestamp_with_time_zone(ProviderConfigs::UpdatedAt))
                    .foreign_key(&mut tenant_fk(ProviderConfigs::Table, ProviderConfigs::TenantId))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SyncStates::Table)
                    .col(uuid(SyncStates::TenantId).primary_key())
                    .col(timestamp_with_time_zone(SyncStates::NextRunAt))
                    .col(string_null(SyncStates::LeaseOwner))
                    .col(timestamp_with_time_zone_null(SyncStates::LeaseUntil))
                    .col(big_integer(SyncStates::FencingToken).default(0))
                    .col(integer(SyncStates::ConsecutiveFailures).default(0))
                    .col(timestamp_with_time_zone_null(SyncStates::BreakerOpenUntil))
                    .col(boolean(SyncStates::NeedsAdminAction).default(false))
                    .col(string_null(SyncStates::LastErrorCode))
                    .col(text_null(SyncStates::LastErrorMessage))
                    .col(timestamp_with_time_zone_null(SyncStates::LastRunAt))
                    .col(timestamp_with_time_zone_null(SyncStates::LastSuccessAt))
                    .foreign_key(&mut tenant_fk(SyncStates::Table, SyncStates::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sync_states_due")
                    .table(SyncStates::Table)
                    .col(SyncStates::NextRunAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SyncStates::Table.into_iden(),
            ProviderConfigs::Table.into_iden(),
            DirectoryUsers::Table.into_iden(),
            AuditEvents::Table.into_iden(),
            Sessions::Table.into_iden(),
            Invites::Table.into_iden(),
            Accounts::Table.into_iden(),
            Tenants::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
