import Foundation

/// The mapping profiles liqsync ships, written in the same YAML a user's mapping file uses
/// (`docs/mapping.md`), so each one is also an example of the format.
public enum BuiltInProfiles {
    public static let names = ["localiq-contacts", "localiq-interactions", "localiq-etl", "ghl-export"]

    /// The profile called `name`.
    public static func profile(named name: String) throws -> FieldMapping {
        guard let text = yaml[name] else { throw ImportError.unknownProfile(name, names) }
        return try FieldMapping.parse(text, path: "built-in profile \(name)")
    }

    /// Every built-in profile.
    public static func all() throws -> [FieldMapping] {
        try names.map { try profile(named: $0) }
    }

    /// The YAML text of each profile (printed by `liqsync import --show-profile NAME`).
    public static let yaml: [String: String] = [
        "localiq-contacts": """
            name: localiq-contacts
            description: LocaliQ contact exports (CSV or JSON), with the API's snake_case names or Title-Case / Zapier labels.
            format: any
            signature: [first_name, last_name, phone_mobile, phone_work, phone_home, created_at, updated_at, archived_at, postal, company, display_name]
            required:
              - any: [email, phone, first_name, last_name]
            fields:
              - id: [id, Contact ID, Contact Id]
              - first_name: [first_name, First Name, Contact First Name]
              - last_name: [last_name, Last Name, Contact Last Name]
              - display_name: [display_name, Display Name, Name, Full Name]
              - email: [email, Email, Email Address, Contact Email Address]
              - phone: [phone_mobile, phone_work, phone_home, phone_numbers.normalized_number, Phone, Phone Number, Mobile Phone, Work Phone, Home Phone, Contact Phone Number]
              - company: [company, Company, Company Name]
              - title: [title, Title, Job Title]
              - address1: [address1, Address, Address 1, Street]
              - address2: [address2, Address 2]
              - city: [city, City]
              - state: [state, State]
              - postal_code: [postal, postal_code, Zip, Zip Code, Postal Code]
              - country: [country, Country]
              - source:
                  columns: [campaign_name, referrer_source, Source, Campaign, Campaign Name]
              - attribution_source: [first_attribution_source]
              - attribution_medium: [first_attribution_type]
              - tags: [tags, Tags]
              - created: [created_at, Created, Created At, Date Created]
              - updated: [updated_at, last_lead_event_date, Updated, Last Activity]
              - archived: [archived_at, Archived At]
              - status: [status, Status]
              - notes: [notes, Notes]
            """,
        "localiq-interactions": """
            name: localiq-interactions
            description: LocaliQ contact interactions (leads) as JSON - one contact per contact_id, each call, form or chat kept as an activity.
            format: json
            signature: [contact_id, event_type, occured_at, occurred_at, campaign_name, transcript, contact.email]
            placeholder_emails: [nonleadchat@reachlocal.com]
            required:
              - id
            fields:
              - id: [contact_id, contact.id]
              - first_name: [contact.first_name, first_name]
              - last_name: [contact.last_name, last_name]
              - display_name: [display_name, contact.display_name]
              - email: [contact.email, email]
              - phone: [contact.phone_mobile, contact.phone_work, contact.phone_home, caller_number, contact.phone_numbers.normalized_number]
              - company: [contact.company]
              - address1: [contact.address1]
              - city: [contact.city]
              - state: [contact.state]
              - postal_code: [contact.postal]
              - country: [contact.country]
              - source: [campaign_name]
              - tags: [contact.tags]
              - created: [contact.created_at]
              - updated: [occured_at, occurred_at, created_at]
              - status: [contact.status]
            activity:
              - id: [id]
              - channel: [event_type]
              - sub_type: [sub_type, lead_type]
              - occurred_at: [occured_at, occurred_at, created_at]
              - duration: [duration, call_duration]
              - subject: [subject]
              - message: [full_message, message]
              - summary: [summary]
              - transcript: [transcript]
              - recording_url: [recording_url, call_recording_url]
              - campaign: [campaign_name]
              - status: [status]
              - tags: [tags]
            """,
        "localiq-etl": """
            name: localiq-etl
            description: LocaliQ's ETL lead-attribution CSV - one row per interaction plus TouchPoint rows.
            format: csv
            signature: [type, visitor_id, sub_type, referrer_source, occurrence_time, channel, master_campaign_id, WPCID, influencing_CID, page_url, referrer_type]
            allow_extra_cells: true
            fields:
              - first_name: [first_name]
              - last_name: [last_name]
              - email: [email]
              - phone: [phone_work]
              - address1: [address1]
              - city: [city]
              - state: [state]
              - postal_code: [postal]
              - source: [campaign_name]
              - campaign: [campaign_name]
              - attribution_source: [referrer_source]
              - attribution_medium: [channel, referrer_type]
              - updated: [occurrence_time]
            activity:
              - channel: [type]
              - sub_type: [sub_type]
              - occurred_at: [occurrence_time]
              - duration: [call_duration]
              - transcript: [chat_transcript]
              - recording_url: [call_recording_url]
              - campaign: [campaign_name]
            """,
        "ghl-export": """
            name: ghl-export
            description: HighLevel's contact CSV export (Contacts, Smart Lists, Export).
            format: csv
            signature: [Contact Id, Business Name, Last Activity, Additional Emails, Additional Phones, Date Added, Contact Source]
            required:
              - any: [email, phone, first_name, last_name]
            fields:
              - id: [Contact Id, Contact ID]
              - first_name: [First Name]
              - last_name: [Last Name]
              - display_name: [Name]
              - email: [Email]
              - phone: [Phone]
              - additional_phones: [Additional Phones]
              - company: [Business Name, Company Name, Company]
              - address1: [Address, Street Address]
              - city: [City]
              - state: [State]
              - postal_code: [Postal Code, Zip]
              - country: [Country]
              - source: [Source, Contact Source]
              - tags: [Tags]
              - created: [Created, Date Added, Date Created]
              - updated: [Date Updated, Updated, Last Activity]
              - status: [Status]
              - notes: [Notes, Note]
            """,
    ]
}
