//! The product's words. Keep Danish first: it is the product's home language.

macro_rules! catalogue {
    ($($key:ident => $da:literal, $en:literal;)*) => {
        /// All user-facing text of one language.
        pub struct Messages {
            pub lang: &'static str,
            $(pub $key: &'static str,)*
        }
        pub static DA: Messages = Messages { lang: "da", $($key: $da,)* };
        pub static EN: Messages = Messages { lang: "en", $($key: $en,)* };
    };
}

catalogue! {
    // Page chrome
    product_tagline => "Kalender til omstilling", "Calendars to switchboard";
    nav_dashboard => "Overblik", "Dashboard";
    nav_users => "Brugere", "Users";
    nav_team => "Adgang", "Team";
    nav_audit => "Hændelseslog", "Audit log";
    nav_tenants => "Kunder", "Tenants";
    nav_sign_out => "Log ud", "Sign out";
    nav_main => "Hovedmenu", "Main menu";
    skip_to_content => "Gå til indhold", "Skip to content";
    signed_in_as => "Logget ind som", "Signed in as";
    language_switch => "English", "Dansk";
    language_switch_code => "en", "da";
    role_operator => "Operatør", "Operator";
    role_tenant_admin => "Administrator", "Administrator";
    role_receptionist => "Receptionist", "Receptionist";
    yes => "Ja", "Yes";
    no => "Nej", "No";
    none => "—", "—";
    save => "Gem", "Save";
    cancel => "Annuller", "Cancel";
    back => "Tilbage", "Back";
    optional => "valgfri", "optional";
    saved => "Gemt.", "Saved.";
    form_has_errors => "Ret de markerede felter og prøv igen.", "Please correct the marked fields and try again.";

    // Sign-in
    login_title => "Log ind", "Sign in";
    login_intro => "Log ind med din e-mailadresse og adgangskode.", "Sign in with your e-mail address and password.";
    login_email => "E-mail", "E-mail";
    login_password => "Adgangskode", "Password";
    login_submit => "Log ind", "Sign in";
    login_failed => "Forkert e-mail eller adgangskode. Efter mange forkerte forsøg er kontoen midlertidigt spærret; prøv igen om lidt.", "Wrong e-mail or password. After many failed attempts the account is paused for a while; try again later.";
    login_limited => "For mange mislykkede login fra dit netværk. Vent {} sekunder og prøv igen.", "Too many failed sign-ins from your network. Wait {} seconds and try again.";
    login_busy => "Tjenesten har travlt lige nu. Vent et øjeblik og prøv igen.", "The service is busy right now. Wait a moment and try again.";
    logged_out => "Du er logget ud.", "You are signed out.";
    session_ended => "Din session er udløbet. Log ind igen.", "Your session has ended. Please sign in again.";

    // Errors
    error_title_404 => "Siden findes ikke", "Page not found";
    error_text_404 => "Siden findes ikke, eller du har ikke adgang til den.", "This page does not exist, or you do not have access to it.";
    error_title_403 => "Ingen adgang", "No access";
    error_text_403 => "Din rolle giver ikke adgang til denne side.", "Your role does not give access to this page.";
    error_text_csrf => "Formularen var udløbet eller kom fra en anden side. Gå tilbage, genindlæs siden og prøv igen.", "The form had expired or came from another site. Go back, reload the page and try again.";
    error_text_encoding => "Formularen indeholdt tegn, der ikke kunne læses (ikke UTF-8). Gå tilbage, skriv teksten igen og prøv igen.", "The form contained characters that could not be read (not UTF-8). Go back, type the text again and try again.";
    error_title_500 => "Noget gik galt", "Something went wrong";
    error_text_500 => "Der opstod en fejl hos os. Den er logget, og du kan prøve igen om lidt.", "An error occurred on our side. It has been logged; please try again shortly.";
    error_title_503 => "Travlt lige nu", "Busy right now";
    error_text_503 => "Tjenesten har travlt. Vent et øjeblik og prøv igen.", "The service is busy. Wait a moment and try again.";
    error_title_other => "Forespørgslen kunne ikke udføres", "The request could not be completed";
    error_text_other => "Kontrollér adressen eller gå tilbage og prøv igen.", "Check the address, or go back and try again.";
    error_home => "Til forsiden", "Go to the front page";

    // Field problems
    invalid_required => "Skal udfyldes.", "Required.";
    invalid_control_characters => "Indeholder styretegn (fx linjeskift eller usynlige tegn), som ikke kan gemmes. Skriv teksten igen.", "Contains control characters (such as line breaks or invisible characters) that cannot be saved. Type the text again.";
    invalid_reauth_required => "Bekræft med din adgangskode til calbridge for at gemme ændringer af forbindelsen.", "Confirm with your calbridge password to save changes to the connection.";
    invalid_reauth_wrong => "Adgangskoden er forkert.", "The password is wrong.";
    invalid_too_long => "For langt.", "Too long.";
    invalid_email => "Ikke en gyldig e-mailadresse.", "Not a valid e-mail address.";
    invalid_cvr => "Et CVR-nummer har 8 cifre.", "A CVR number has 8 digits.";
    invalid_licences => "Angiv et helt tal fra 0 til 100000.", "Enter a whole number from 0 to 100000.";
    invalid_timezone => "Ukendt tidszone. Brug et navn som Europe/Copenhagen.", "Unknown time zone. Use a name such as Europe/Copenhagen.";
    invalid_locale => "Vælg dansk eller engelsk.", "Choose Danish or English.";
    invalid_role => "Vælg administrator eller receptionist.", "Choose administrator or receptionist.";
    invalid_phone => "Telefonnummeret må kun indeholde cifre, mellemrum, + og -.", "The phone number may only contain digits, spaces, + and -.";
    invalid_extension => "Lokalnummeret må kun indeholde cifre, mellemrum, + og -.", "The extension may only contain digits, spaces, + and -.";
    invalid_account_exists => "Der findes allerede en konto med denne e-mail.", "An account with this e-mail already exists.";
    invalid_user_exists => "Brugeren findes allerede.", "This user already exists.";
    invalid_no_licence => "Alle licenser er i brug. Slå synkronisering fra for en anden bruger, eller bed om flere licenser.", "All licences are in use. Turn sync off for another user, or ask for more licences.";
    invalid_password_short => "Adgangskoden skal have mindst 12 tegn.", "The password must be at least 12 characters.";
    invalid_password_long => "Adgangskoden må højst have 128 tegn.", "The password may be at most 128 characters.";
    invalid_password_common => "Adgangskoden er for almindelig. Vælg en, der er svær at gætte, f.eks. flere tilfældige ord.", "This password is too common. Choose one that is hard to guess, for example several random words.";
    invalid_password_email => "Adgangskoden må ikke indeholde din e-mailadresse.", "The password must not contain your e-mail address.";
    invalid_password_mismatch => "De to adgangskoder er ikke ens.", "The two passwords do not match.";
    invalid_self => "Du kan ikke deaktivere din egen konto.", "You cannot disable your own account.";
    invalid_directory_id => "Mappe-id (lejer-id) er et GUID som 72f988bf-86f1-41af-91ab-2d7cd011db47 eller et bekræftet domæne som firma.onmicrosoft.com, skrevet med a–z, tal og bindestreg. Brug helst GUID'et fra siden Oversigt i Microsoft Entra.", "The Directory (tenant) ID is a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, or a verified domain such as company.onmicrosoft.com, written with a–z, digits and hyphens. Best use the GUID from the Overview page in Microsoft Entra.";
    invalid_client_id => "Program-id (klient-id) er et GUID som 0b8f1a2c-3d4e-4f5a-8b9c-0d1e2f3a4b5c.", "The Application (client) ID is a GUID such as 0b8f1a2c-3d4e-4f5a-8b9c-0d1e2f3a4b5c.";
    invalid_secret_missing => "Indsæt klienthemmelighedens værdi.", "Paste the client secret's value.";
    invalid_secret_is_id => "Det ligner hemmelighedens id. Kopiér i stedet feltet Værdi, som kun vises, lige når hemmeligheden er oprettet.", "This looks like the secret's ID. Copy the Value column instead; it is only shown right after the secret is created.";
    invalid_expiry_date => "Angiv datoen som ÅÅÅÅ-MM-DD.", "Enter the date as YYYY-MM-DD.";
    invalid_secret_expired => "Hemmeligheden er allerede udløbet. Opret en ny i Microsoft Entra.", "This secret has already expired. Create a new one in Microsoft Entra.";
    connection_missing => "Der er ingen kalenderforbindelse endnu.", "There is no calendar connection yet.";
    connection_missing_fix => "Indtast Mappe-id, Program-id og klienthemmelighed under Kalenderforbindelse.", "Enter the Directory ID, Application ID and client secret under Calendar connection.";
    connection_unreadable => "Den gemte klienthemmelighed kan ikke læses med den nuværende hovednøgle.", "The stored client secret cannot be read with the current master key.";
    connection_unreadable_fix => "Indtast klienthemmeligheden igen. Driften bør kontrollere CALBRIDGE_MASTER_KEY.", "Enter the client secret again. Operations should check CALBRIDGE_MASTER_KEY.";
    connection_invalid => "Kalenderforbindelsen kan ikke bruges, som den er sat op.", "The calendar connection cannot be used as it is set up.";
    connection_invalid_fix => "Kontrollér Mappe-id og Program-id, og gem forbindelsen igen.", "Check the Directory ID and Application ID and save the connection again.";
    invalid_detail => "Vælg ledig/optaget eller fuld detalje.", "Choose free/busy or full detail.";

    // Operator console
    tenants_title => "Kunder", "Tenants";
    tenants_intro => "Alle kunder, deres tilstand og licenser.", "Every tenant, its state and licences.";
    tenants_empty => "Der er ingen kunder endnu.", "There are no tenants yet.";
    tenants_new => "Opret kunde", "New tenant";
    tenant_name => "Navn", "Name";
    tenant_cvr => "CVR-nummer", "CVR number";
    tenant_contact_name => "Kontaktperson", "Contact person";
    tenant_contact_email => "Kontaktens e-mail", "Contact e-mail";
    tenant_contact_phone => "Kontaktens telefon", "Contact phone";
    tenant_licences => "Licenser", "Licences";
    tenant_licences_hint => "Hvor mange brugere der må have kalendersynkronisering slået til.", "How many users may have calendar sync enabled.";
    tenant_enabled_users => "Synkroniserede brugere", "Users synced";
    tenant_users => "Brugere", "Users";
    tenant_timezone => "Tidszone", "Time zone";
    tenant_locale => "Sprog", "Language";
    tenant_state => "Tilstand", "State";
    tenant_created => "Oprettet", "Created";
    tenant_create_submit => "Opret kunde", "Create tenant";
    tenant_created_notice => "Kunden er oprettet. Inviter nu kundens administrator.", "The tenant has been created. Now invite the tenant's administrator.";
    tenant_details => "Stamdata", "Details";
    tenant_accounts => "Konti", "Accounts";
    state_onboarding => "Opsætning", "Onboarding";
    state_active => "Aktiv", "Active";
    state_suspended => "Suspenderet", "Suspended";
    locale_da => "Dansk", "Danish";
    locale_en => "Engelsk", "English";

    // Invites
    invite_title => "Inviter en person", "Invite someone";
    invite_intro => "Personen får et link, som du selv sender videre. Linket virker én gang i 7 dage.", "The person gets a link that you pass on yourself. It works once, for 7 days.";
    invite_email => "E-mail", "E-mail";
    invite_role => "Rolle", "Role";
    invite_submit => "Opret invitation", "Create invitation";
    invite_link_title => "Invitationslink", "Invitation link";
    invite_link_intro => "Send dette link til {}. Det vises kun denne ene gang.", "Send this link to {}. It is shown this one time only.";
    invite_link_expires => "Linket kan bruges én gang og udløber", "The link can be used once and expires";
    invites_open => "Åbne invitationer", "Open invitations";
    invites_none => "Ingen åbne invitationer.", "No open invitations.";
    invite_expires => "Udløber", "Expires";
    invite_expired => "Udløbet", "Expired";
    invite_revoke => "Tilbagekald", "Revoke";
    invite_revoked => "Invitationen er tilbagekaldt.", "The invitation has been revoked.";
    accept_title => "Opret din adgang", "Set up your access";
    accept_intro => "Du er inviteret til {} som", "You are invited to {} as";
    accept_name => "Dit navn", "Your name";
    accept_password => "Vælg adgangskode", "Choose a password";
    accept_password_repeat => "Gentag adgangskode", "Repeat the password";
    accept_password_rules => "Mindst 12 tegn. Flere tilfældige ord er lette at huske og svære at gætte.", "At least 12 characters. Several random words are easy to remember and hard to guess.";
    accept_submit => "Opret adgang", "Create access";
    accept_address_taken => "Denne e-mailadresse har allerede en konto i calbridge, så invitationen kan ikke bruges. Log ind med den konto, eller bed den, der inviterede dig, om at invitere en anden adresse.", "This e-mail address already has a calbridge account, so the invitation cannot be used. Sign in with that account, or ask the person who invited you to invite another address.";
    accept_invalid_title => "Linket virker ikke", "This link does not work";
    accept_invalid_text => "Invitationslinket er ugyldigt, allerede brugt eller udløbet. Bed den, der inviterede dig, om et nyt.", "The invitation link is invalid, already used or expired. Ask the person who invited you for a new one.";

    // Tenant dashboard
    dashboard_title => "Overblik", "Dashboard";
    dashboard_welcome => "Velkommen", "Welcome";
    dashboard_users => "Brugere i kartoteket", "Users in the directory";
    dashboard_synced => "Med kalendersynkronisering", "With calendar sync";
    dashboard_licences => "Licenser", "Licences";
    dashboard_team => "Personer med adgang", "People with access";
    dashboard_onboarding => "Kalenderforbindelsen er ikke sat op endnu. Når den er på plads, ser receptionen automatisk, hvem der sidder i møde.", "The calendar connection is not set up yet. Once it is, the reception sees automatically who is in a meeting.";
    dashboard_next => "Næste skridt", "Next steps";
    dashboard_next_users => "Tilføj de brugere, hvis kalender skal læses", "Add the users whose calendars are to be read";
    dashboard_next_team => "Inviter receptionister og andre administratorer", "Invite receptionists and other administrators";
    dashboard_receptionist => "Her vil du kunne se, hvem der er optaget, og hvornår de er ledige igen.", "Here you will see who is busy and when they are free again.";

    // Availability states
    avail_free => "Ledig", "Available";
    avail_busy => "Optaget", "Busy";
    avail_tentative => "Foreløbig", "Tentative";
    avail_out_of_office => "Ikke på kontoret", "Out of office";
    avail_working_elsewhere => "Arbejder et andet sted", "Working elsewhere";
    avail_unknown => "Ukendt", "Unknown";
    avail_until => "til {}", "until {}";
    avail_from => "fra {}", "from {}";
    avail_private => "Privat aftale", "Private appointment";
    avail_all_day => "hele dagen", "all day";

    // Presence board
    nav_presence => "Tilgængelighed", "Availability";
    presence_title => "Tilgængelighed", "Availability";
    presence_intro => "Hvem er ledig lige nu. Siden opdaterer sig selv hvert 15. sekund.", "Who is available right now. The page refreshes itself every 15 seconds.";
    presence_search => "Søg", "Search";
    presence_search_hint => "Navn, e-mail, lokalnummer eller afdeling", "Name, e-mail, extension or department";
    presence_clear => "Ryd", "Clear";
    presence_person => "Person", "Person";
    presence_state => "Status", "Status";
    presence_appointment => "Aftale", "Appointment";
    presence_empty => "Ingen personer matcher.", "Nobody matches.";
    presence_sync_off => "Synkronisering er slået fra", "Sync is off";
    presence_not_synced => "Ikke synkroniseret endnu", "Not synced yet";
    presence_counts => "ledige af", "available of";

    // Rules
    nav_rules => "Regler", "Rules";
    rules_title => "Regler for tilgængelighed", "Availability rules";
    rules_intro => "Bestem for hver type aftale, om den gør personen optaget, og om receptionen kan se den. Som standard er det kun Optaget, der tæller.", "Decide for each kind of appointment whether it makes the person unavailable and whether the reception can see it. By default only Busy counts.";
    rules_show_as => "Vis som", "Show as";
    rules_shown => "Vises for receptionen", "Shown to the reception";
    rules_unavailable => "Gør personen optaget", "Makes the person unavailable";
    rules_show_subject => "Vis emne", "Show subject";
    rules_show_location => "Vis lokation", "Show location";
    rules_save => "Gem regler", "Save rules";
    rules_preview => "Vis forhåndsvisning", "Preview";
    rules_saved => "Reglerne er gemt. Alle kalendere læses igen med de nye regler.", "The rules have been saved. Every calendar is read again under the new rules.";
    rules_note_hidden => "En type, der ikke vises, ignoreres helt, også selv om den er markeret som optaget.", "A kind that is not shown is ignored entirely, even when marked as unavailable.";
    preview_title => "Forhåndsvisning", "Preview";
    preview_intro => "Sådan ser receptionen personen i løbet af dagen med reglerne ovenfor.", "How the reception sees the person through the day with the rules above.";
    preview_user => "Person", "Person";
    preview_day => "Dag", "Day";
    preview_today => "I dag", "Today";
    preview_tomorrow => "I morgen", "Tomorrow";
    preview_none => "Vælg en person med kalendersynkronisering for at se forhåndsvisningen.", "Pick a person with calendar sync to see the preview.";
    preview_no_data => "Der er ingen læste kalenderdata for denne person endnu.", "There is no calendar data for this person yet.";
    preview_time => "Tid", "Time";
    preview_sees => "Receptionen ser", "The reception sees";
    preview_why => "Hvorfor", "Why";
    why_no_data => "Ingen kalenderdata", "No calendar data";
    why_nothing => "Ingen viste aftaler", "No shown appointment";
    why_unavailable => "En viste aftale gør personen optaget", "A shown appointment makes the person unavailable";
    why_keeps_available => "En viste aftale, der ikke gør personen optaget", "A shown appointment that does not make the person unavailable";
    why_overlap => "En anden samtidig aftale gør personen optaget", "Another appointment at the same time makes the person unavailable";

    // Sync health
    nav_sync => "Synkronisering", "Sync health";
    sync_title => "Synkronisering", "Sync health";
    sync_last => "Seneste synkronisering", "Last sync";
    sync_last_ok => "Seneste vellykkede", "Last successful";
    sync_next => "Næste synkronisering", "Next sync";
    sync_status => "Tilstand", "Status";
    sync_ok => "Kører normalt", "Running normally";
    sync_never => "Ikke kørt endnu", "Not run yet";
    sync_not_configured => "Kalenderforbindelsen er ikke sat op", "The calendar connection is not set up";
    sync_needs_action => "Kræver handling fra en administrator", "Needs an administrator";
    sync_breaker_open => "Sat på pause efter gentagne fejl, til", "Paused after repeated failures, until";
    sync_failing => "Fejler, prøver igen", "Failing, retrying";
    sync_failures => "Fejl i træk", "Failures in a row";
    sync_running_on => "Kører nu på", "Running now on";
    sync_runs => "Seneste kørsler", "Recent runs";
    sync_runs_none => "Ingen kørsler endnu.", "No runs yet.";
    sync_started => "Startet", "Started";
    sync_outcome => "Resultat", "Outcome";
    sync_users => "Brugere", "Users";
    sync_changed => "Ændret", "Changed";
    sync_requests => "HTTP-kald", "HTTP requests";
    sync_throttled => "Begrænset (429)", "Throttled (429)";
    sync_errors => "Fejl", "Errors";
    sync_duration => "Varighed", "Duration";
    sync_user_errors => "Brugere med fejl", "Users with errors";
    sync_user_errors_none => "Ingen brugere har fejl.", "No user has errors.";
    sync_problem => "Problem", "Problem";
    sync_fix => "Sådan løses det", "How to fix it";
    outcome_ok => "OK", "OK";
    outcome_partial => "Delvis", "Partial";
    outcome_failed => "Fejlede", "Failed";

    // Directory users
    users_title => "Brugere", "Users";
    users_intro => "De personer, hvis kalender omstillingen skal kende. Slå synkronisering til for hver person; det bruger en licens.", "The people whose calendars the switchboard should know. Turn sync on for each person; it uses one licence.";
    users_licences_used => "licenser i brug", "licences in use";
    users_empty => "Der er ingen brugere endnu.", "There are no users yet.";
    users_add => "Tilføj bruger", "Add user";
    user_email => "E-mail (samme som i Microsoft 365)", "E-mail (as in Microsoft 365)";
    user_name => "Navn", "Name";
    user_extension => "Lokalnummer", "Extension";
    user_department => "Afdeling", "Department";
    user_sync => "Kalendersynkronisering", "Calendar sync";
    user_sync_enable => "Aktiver synkronisering af kalender", "Enable calendar sync";
    user_sync_on => "Slå til", "Turn on";
    user_sync_off => "Slå fra", "Turn off";
    user_sync_status_on => "Til", "On";
    user_sync_status_off => "Fra", "Off";
    user_added => "Brugeren er tilføjet.", "The user has been added.";
    user_edit => "Rediger", "Edit";
    user_edit_title => "Rediger bruger", "Edit user";
    user_remove => "Fjern bruger", "Remove user";
    user_removed => "Brugeren er fjernet.", "The user has been removed.";
    user_remove_confirm => "Fjern brugeren fra kartoteket? Kalenderen læses ikke længere.", "Remove the user from the directory? Their calendar will no longer be read.";

    // Team
    team_title => "Adgang", "Team";
    team_intro => "Hvem der kan logge ind for jeres virksomhed.", "Who can sign in for your company.";
    team_email => "E-mail", "E-mail";
    team_role => "Rolle", "Role";
    team_status => "Status", "Status";
    team_last_login => "Senest logget ind", "Last sign-in";
    team_active => "Aktiv", "Active";
    team_disabled => "Deaktiveret", "Disabled";
    team_disable => "Deaktiver", "Disable";
    team_enable => "Genaktiver", "Re-enable";
    team_never => "Aldrig", "Never";
    team_you => "dig", "you";
    team_account_disabled => "Kontoen er deaktiveret, og dens sessioner er afsluttet.", "The account has been disabled and its sessions ended.";
    team_account_enabled => "Kontoen er genaktiveret.", "The account has been re-enabled.";

    // Audit
    audit_title => "Hændelseslog", "Audit log";
    audit_intro => "De seneste 200 hændelser.", "The latest 200 events.";
    audit_empty => "Ingen hændelser endnu.", "No events yet.";
    audit_time => "Tidspunkt", "Time";
    audit_actor => "Hvem", "Who";
    audit_action => "Hændelse", "Event";
    audit_target => "Hvad", "What";
    audit_tenant => "Kunde", "Tenant";
    audit_system => "system", "system";
    action_login_succeeded => "Logget ind", "Signed in";
    action_login_failed => "Mislykket login", "Failed sign-in";
    action_account_locked => "Konto midlertidigt spærret", "Account temporarily locked";
    action_logout => "Logget ud", "Signed out";
    action_tenant_created => "Kunde oprettet", "Tenant created";
    action_invite_created => "Invitation oprettet", "Invitation created";
    action_invite_accepted => "Invitation accepteret", "Invitation accepted";
    action_invite_revoked => "Invitation tilbagekaldt", "Invitation revoked";
    action_account_created => "Konto oprettet", "Account created";
    action_account_disabled => "Konto deaktiveret", "Account disabled";
    action_account_enabled => "Konto genaktiveret", "Account re-enabled";
    action_user_added => "Bruger tilføjet", "User added";
    action_user_updated => "Bruger ændret", "User changed";
    action_user_removed => "Bruger fjernet", "User removed";
    action_user_sync_enabled => "Synkronisering slået til", "Sync turned on";
    action_user_sync_disabled => "Synkronisering slået fra", "Sync turned off";
    action_credentials_updated => "Microsoft 365-forbindelse gemt", "Microsoft 365 connection saved";
    action_rules_updated => "Regler ændret", "Rules changed";
    action_keys_rotated => "Hovednøgle skiftet", "Master key rotated";

    // Calendar provider errors
    provider_auth_tenant_not_found => "Microsoft kender ikke den angivne mappe (lejer). Mappe-id'et eller domænet er forkert.", "Microsoft does not know the directory (tenant) you entered. The directory ID or domain is wrong.";
    provider_auth_tenant_not_found_fix => "Kopiér Mappe-id (lejer-id) fra app-registreringens Oversigt i Microsoft Entra, eller brug et bekræftet domæne som firma.dk.", "Copy the Directory (tenant) ID from the app registration's Overview page in Microsoft Entra, or use a verified domain such as company.com.";
    provider_auth_app_not_found => "Appen findes ikke i denne lejer, eller der er ikke givet samtykke til den.", "The app was not found in this tenant, or consent was never given for it.";
    provider_auth_app_not_found_fix => "Kontrollér at Program-id (klient-id) er kopieret fra den app-registrering, der ligger i samme lejer som Mappe-id'et, og at en administrator har klikket Giv administratorsamtykke under API-tilladelser.", "Check that the Application (client) ID is copied from an app registration in the same tenant as the Directory ID, and that an administrator has clicked Grant admin consent under API permissions.";
    provider_auth_wrong_secret => "Klienthemmeligheden er forkert.", "The client secret is wrong.";
    provider_auth_wrong_secret_fix => "Kopiér hemmelighedens Værdi (Value), ikke dens Hemmeligt id (Secret ID). Værdien vises kun lige efter oprettelsen; opret en ny klienthemmelighed under Certifikater og hemmeligheder, hvis du ikke har den.", "Copy the secret's Value, not its Secret ID. The Value is only shown right after it is created; create a new client secret under Certificates & secrets if you no longer have it.";
    provider_auth_secret_expired => "Klienthemmeligheden er udløbet.", "The client secret has expired.";
    provider_auth_secret_expired_fix => "Opret en ny klienthemmelighed under Certifikater og hemmeligheder i app-registreringen, og indtast dens Værdi og udløbsdato her.", "Create a new client secret under Certificates & secrets in the app registration, then enter its Value and expiry date here.";
    provider_auth_invalid_scope => "Microsoft afviste den ønskede tilladelse (scope).", "Microsoft rejected the requested permission scope.";
    provider_auth_invalid_scope_fix => "Dette er en fejl i opsætningen af calbridge. Kontakt jeres leverandør.", "This is a calbridge configuration error. Contact your provider.";
    provider_auth_token_rejected => "Microsoft Graph afviste adgangsbilletten fra Microsoft Entra.", "Microsoft Graph rejected the access token issued by Microsoft Entra.";
    provider_auth_token_rejected_fix => "Kontrollér at app-registreringen og Mappe-id'et hører til samme lejer, og prøv igen om lidt.", "Check that the app registration and the Directory ID belong to the same tenant, and try again shortly.";
    provider_auth_failed => "Log ind hos Microsoft Entra mislykkedes.", "Signing in to Microsoft Entra failed.";
    provider_auth_failed_fix => "Kontrollér Mappe-id, Program-id og klienthemmelighed. Fejlkoden (AADSTS) i loggen fortæller Microsofts årsag.", "Check the Directory ID, Application ID and client secret. The error code (AADSTS) in the log gives Microsoft's reason.";
    provider_access_denied_tenant => "Appen har ikke tilladelse til at læse kalendere.", "The app is not allowed to read calendars.";
    provider_access_denied_tenant_fix => "I Microsoft Entra: API-tilladelser, Tilføj en tilladelse, Microsoft Graph, Programtilladelser, Calendars.Read (eller Calendars.ReadBasic for kun ledig/optaget), og klik derefter Giv administratorsamtykke.", "In Microsoft Entra: API permissions, Add a permission, Microsoft Graph, Application permissions, Calendars.Read (or Calendars.ReadBasic for free/busy only), then click Grant admin consent.";
    provider_access_denied_mailbox => "Appen må ikke læse denne postkasse.", "The app is not allowed to read this mailbox.";
    provider_access_denied_mailbox_fix => "En adgangspolitik for programmer i Exchange udelukker postkassen, eller tilladelsen mangler. Tilføj personen til den sikkerhedsgruppe, som politikken (New-ApplicationAccessPolicy) giver adgang til.", "An Exchange application access policy excludes this mailbox, or the permission is missing. Add the person to the security group the policy (New-ApplicationAccessPolicy) grants access to.";
    provider_mailbox_not_found => "Postkassen findes ikke.", "This mailbox does not exist.";
    provider_mailbox_not_found_fix => "Kontrollér e-mailadressen: den skal være personens primære adresse i Microsoft 365, og personen skal have en Exchange Online-licens.", "Check the e-mail address: it must be the person's primary address in Microsoft 365, and the person needs an Exchange Online licence.";
    provider_throttled => "Microsoft begrænser midlertidigt antallet af forespørgsler.", "Microsoft is temporarily limiting the number of requests.";
    provider_throttled_fix => "Der er intet at gøre: calbridge prøver automatisk igen om lidt.", "Nothing to do: calbridge tries again automatically shortly.";
    provider_upstream_unavailable => "Microsoft 365 svarer ikke lige nu.", "Microsoft 365 is not responding right now.";
    provider_upstream_unavailable_fix => "calbridge prøver automatisk igen. Varer det ved, så se Microsofts servicestatus i Microsoft 365 Administration.", "calbridge tries again automatically. If it persists, check Microsoft's service health in the Microsoft 365 admin center.";
    provider_malformed_response => "Microsoft sendte et svar, som calbridge ikke kunne læse.", "Microsoft sent a response calbridge could not read.";
    provider_malformed_response_fix => "calbridge prøver igen ved næste synkronisering. Varer det ved, så kontakt jeres leverandør.", "calbridge tries again at the next sync. If it persists, contact your provider.";
    storage_unavailable => "calbridge kunne ikke læse sin egen database.", "calbridge could not read its own database.";
    storage_unavailable_fix => "Der er intet at gøre for jer: calbridge prøver automatisk igen. Varer det ved, så kontakt jeres leverandør.", "Nothing to do on your side: calbridge tries again automatically. If it persists, contact your provider.";
}
