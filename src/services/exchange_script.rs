//! The Exchange Management Shell script an admin runs once: it creates (or reuses) the
//! Monitor account and grants it Reviewer on each mailbox's calendar folder.
//!
//! The folder is found by its type, not its name: it is "Kalender" in a Danish mailbox and
//! "Calendar" in an English one, and a name-based script silently skips the other languages.

use std::fmt::Write;

/// Which mailboxes the script grants on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mailboxes {
    All,
    /// These addresses only (the people with sync on).
    Only(Vec<String>),
}

/// The script in its two forms, and the command that shows the result.
#[derive(Debug, Clone)]
pub struct Script {
    /// Shows what it would change and changes nothing (`-WhatIf`).
    pub dry_run: String,
    pub grant: String,
    pub verify: String,
}

/// A PowerShell single-quoted string: nothing inside is expanded; a quote is doubled.
fn quoted(raw: &str) -> String {
    let clean: String = raw.chars().filter(|c| !c.is_control()).collect();
    format!("'{}'", clean.replace('\'', "''").replace(['‘', '’'], "''"))
}

fn selection(mailboxes: &Mailboxes) -> String {
    match mailboxes {
        Mailboxes::All => {
            "$Mailboxes = Get-Mailbox -ResultSize Unlimited -RecipientTypeDetails UserMailbox,SharedMailbox,RoomMailbox".to_owned()
        }
        Mailboxes::Only(addresses) if addresses.is_empty() => {
            "$Mailboxes = @()  # nobody has calendar sync on yet".to_owned()
        }
        Mailboxes::Only(addresses) => {
            let list: Vec<String> = addresses.iter().map(|a| quoted(a)).collect();
            format!("$Mailboxes = @({}) | Get-Mailbox", list.join(", "))
        }
    }
}

/// The calendar folder of `$Mailbox`, found by type, as `address:\path`.
const FIND_CALENDAR: &str = r#"    $Calendar = Get-MailboxFolderStatistics -Identity $Mailbox.Identity -FolderScope Calendar |
        Where-Object { $_.FolderType -eq 'Calendar' } | Select-Object -First 1
    $Folder = "$($Mailbox.PrimarySmtpAddress):$($Calendar.FolderPath.Replace('/', '\'))""#;

fn grant(account: &str, mailboxes: &Mailboxes, what_if: bool) -> String {
    let mut script = String::new();
    let _ = writeln!(script, "# calbridge: the Monitor account gets Reviewer on each calendar.");
    if what_if {
        let _ = writeln!(script, "# Dry run: -WhatIf shows every change and makes none.");
    }
    let _ = writeln!(script, "$Monitor = {}", quoted(account));
    let _ = writeln!(script, "$WhatIf = ${}", if what_if { "true" } else { "false" });
    script.push_str(
        r#"if (-not (Get-User -Identity $Monitor -ErrorAction SilentlyContinue)) {
    # A plain Active Directory account: no mailbox, no other rights.
    $Password = Read-Host -AsSecureString "New password for $Monitor"
    New-User -Name $Monitor -UserPrincipalName "$Monitor@$((Get-AcceptedDomain | Where-Object Default).DomainName)" `
        -Password $Password -ResetPasswordOnNextLogon $false -WhatIf:$WhatIf
}
"#,
    );
    let _ = writeln!(script, "{}", selection(mailboxes));
    script.push_str("foreach ($Mailbox in $Mailboxes) {\n");
    script.push_str(FIND_CALENDAR);
    script.push_str(
        r#"
    if (Get-MailboxFolderPermission -Identity $Folder -User $Monitor -ErrorAction SilentlyContinue) {
        Set-MailboxFolderPermission -Identity $Folder -User $Monitor -AccessRights Reviewer -WhatIf:$WhatIf
    } else {
        Add-MailboxFolderPermission -Identity $Folder -User $Monitor -AccessRights Reviewer -WhatIf:$WhatIf
    }
}
"#,
    );
    script
}

fn verify(account: &str, mailboxes: &Mailboxes) -> String {
    let mut script = String::new();
    let _ = writeln!(script, "# Lists each calendar and the Monitor account's right on it.");
    let _ = writeln!(script, "$Monitor = {}", quoted(account));
    let _ = writeln!(script, "{}", selection(mailboxes));
    script.push_str("foreach ($Mailbox in $Mailboxes) {\n");
    script.push_str(FIND_CALENDAR);
    script.push_str(
        r#"
    $Right = Get-MailboxFolderPermission -Identity $Folder -User $Monitor -ErrorAction SilentlyContinue
    [pscustomobject]@{ Calendar = $Folder; AccessRights = ($Right.AccessRights -join ', ') }
}
"#,
    );
    script
}

pub fn script(account: &str, mailboxes: &Mailboxes) -> Script {
    Script {
        dry_run: grant(account, mailboxes, true),
        grant: grant(account, mailboxes, false),
        verify: verify(account, mailboxes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calendar_is_found_by_type_and_addresses_cannot_break_out() {
        let only = Mailboxes::Only(vec!["anna@firma.dk".into(), "o'hara@firma.dk".into()]);
        let script = script("calbridge-monitor", &only);
        assert!(script.grant.contains("FolderType -eq 'Calendar'"));
        assert!(!script.grant.contains("\\Kalender") && !script.grant.contains("\\Calendar\""));
        assert!(script.grant.contains("'anna@firma.dk', 'o''hara@firma.dk'"));
        assert!(script.dry_run.contains("$WhatIf = $true"));
        assert!(script.grant.contains("$WhatIf = $false"));
        assert!(script.verify.contains("Get-MailboxFolderPermission"));
        let all = super::script("x", &Mailboxes::All);
        assert!(all.grant.contains("Get-Mailbox -ResultSize Unlimited"));
        assert_eq!(quoted("a'b\u{1b}c"), "'a''bc'");
    }
}
