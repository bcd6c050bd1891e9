//! Enums that the database stores as text.
//!
//! One table per enum gives its stored names; from it come `as_str`, `FromStr`, `Display`,
//! serde (the same names in JSON) and sea-orm's value traits, so an entity column holds the
//! enum itself and no layer compares strings. The stored names are the ones earlier versions
//! wrote, so no data migrates.

/// A stored name this build does not know (a newer version wrote it, or the row was edited).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{value}'")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
}

macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sea_orm::DeriveValueType)]
        #[sea_orm(value_type = "String")]
        $vis enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stored (and API) name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::stored::UnknownValue;

            fn from_str(raw: &str) -> Result<$name, Self::Err> {
                match raw {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::domain::stored::UnknownValue {
                        what: stringify!($name),
                        value: other.to_owned(),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text,)+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let raw = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                raw.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use stored_enum;

#[cfg(test)]
mod tests {
    use crate::domain::provider::{DetailLevel, ProviderKind};
    use crate::domain::tenant::TenantState;
    use crate::domain::{AvailabilityState, ErrorCode, FailureReason, Role, SyncOutcome};

    fn round_trips<T>(all: &[T])
    where
        T: Copy + PartialEq + std::fmt::Debug + std::str::FromStr + std::fmt::Display,
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        for value in all {
            let text = value.to_string();
            assert_eq!(text.parse::<T>().ok(), Some(*value), "{text}");
            let json = serde_json::to_string(value).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<T>(&json).unwrap(), *value);
        }
    }

    #[test]
    fn every_stored_name_reads_back_as_its_value() {
        round_trips(AvailabilityState::ALL);
        round_trips(ErrorCode::ALL);
        round_trips(FailureReason::ALL);
        round_trips(SyncOutcome::ALL);
        round_trips(Role::ALL);
        round_trips(TenantState::ALL);
        round_trips(DetailLevel::ALL);
        round_trips(ProviderKind::ALL);
    }

    #[test]
    fn the_names_are_the_ones_already_stored() {
        // Rows written by earlier versions must keep reading.
        assert_eq!(AvailabilityState::OutOfOffice.as_str(), "out_of_office");
        assert_eq!(ErrorCode::MailboxNotFound.as_str(), "mailbox_not_found");
        assert_eq!(FailureReason::WrongSecret.as_str(), "auth_failed.wrong_secret");
        assert_eq!(FailureReason::NotConfigured.as_str(), "not_configured");
        assert_eq!(SyncOutcome::Partial.as_str(), "partial");
        assert_eq!(Role::TenantAdmin.as_str(), "tenant_admin");
        assert_eq!(TenantState::Onboarding.as_str(), "onboarding");
        assert_eq!(DetailLevel::FreeBusy.as_str(), "free_busy");
        assert_eq!(ProviderKind::Graph.as_str(), "graph");
        let unknown = "nonsense".parse::<Role>().unwrap_err();
        assert_eq!(unknown.to_string(), "unknown Role 'nonsense'");
    }
}
