"""Writes assets/pinpoint-end-of-support.json: each `mobiletargeting` action of assets/iam-catalogue.json with
its fate after Amazon Pinpoint's end of support (2026-10-30), the page that decides it, and AWS's successor.

Run by scripts/refresh-end-of-support after scripts/refresh-catalogue. AWS's site could not be fetched where
this was written: every URL below was found through a search of stored copies of AWS's pages, on the date in
UPDATED. An action the rules below do not classify stops the script (exit 1) naming it, so a catalogue refresh
cannot leave an action unclassified: add it to a rule, citing the page that decides it.
"""

import json
import re
import sys

UPDATED = "2026-12-06"
END_OF_SUPPORT = "2026-10-30"

SOURCES = {
    "notice": {
        "url": "https://docs.aws.amazon.com/pinpoint/index.md",
        "says": "After October 30, 2026, you will no longer be able to access the Amazon Pinpoint console or "
        "Amazon Pinpoint resources (endpoints, segments, campaigns, journeys, and analytics). APIs related to "
        "SMS, voice, mobile push, OTP, and phone number validate are not impacted by this change and are "
        "supported by AWS End User Messaging. (The same notice heads every Pinpoint guide and API page.)",
    },
    "migrate": {
        "url": "https://docs.aws.amazon.com/de_de/pinpoint/latest/userguide/migrate.html",
        "says": "The migration guide ('Amazon Pinpoint end of support'; the stored copies are AWS's translations, "
        "the English original prevails): engagement features (endpoints, segments, campaigns, journeys, "
        "analytics) move to Amazon Connect's proactive engagement (outbound campaigns, Customer Profiles); "
        "event collection and mobile analytics to Amazon Kinesis; the messaging channels (SMS, MMS, push, "
        "WhatsApp, voice) were renamed AWS End User Messaging.",
    },
    "segment-import": {
        "url": "https://docs.aws.amazon.com/pinpoint/latest/developerguide/segments-importing.html",
        "says": "Import jobs define a segment from endpoints stored in Amazon S3 (the segment-import guide's "
        "purpose); the page carries the end-of-support notice.",
    },
    "endpoint-export": {
        "url": "https://docs.aws.amazon.com/pinpoint/latest/developerguide/audience-define-export.md",
        "says": "Export jobs place a project's endpoint definitions in Amazon S3; the page carries the "
        "end-of-support notice.",
    },
    "amplify-migration": {
        "url": "https://docs.amplify.aws/ai/pages/build-a-backend/add-aws-services/pinpoint-migration.md",
        "says": "AWS Amplify's Pinpoint migration: user identification to Amazon Connect Customer Profiles; push "
        "device registration and campaigns to Customer Profiles and Amazon Connect outbound campaigns; "
        "analytics event recording to Amazon Kinesis Data Streams or Amazon Data Firehose.",
    },
    "templates": {
        "url": "https://docs.amplify.aws/react-native/build-a-backend/add-aws-services/notifications/author-message-templates/",
        "says": "In the Connect-based replacement, message content comes from message templates stored in an "
        "Amazon Q in Connect knowledge base.",
    },
    "email": {
        "url": "https://repost.aws/articles/AR-zS_pT2QSciF9Q4ybwSu1A/amazon-pinpoint-deprecation-solving-multi-tenancy-challenges-in-your-migration-strategy",
        "says": "AWS re:Post: migrating from Pinpoint means Amazon SES for email, AWS End User Messaging for SMS, "
        "Amazon Connect for journey orchestration. Email is not among the APIs the notice keeps.",
    },
    "push": {
        "url": "https://docs.aws.amazon.com/end-user-messaging/latest/userguide/nx-push.html",
        "says": "AWS End User Messaging Push uses the Amazon Pinpoint API (mobiletargeting): you create an "
        "application, then enable the push channels it uses (APNs, FCM, ADM, Baidu).",
    },
    "push-send": {
        "url": "https://docs.aws.amazon.com/end-user-messaging/latest/userguide/nx-push-send.html",
        "says": "Push notifications are sent with the Amazon Pinpoint API's SendMessages.",
    },
    "otp": {
        "url": "https://docs.aws.amazon.com/pinpoint/latest/apireference/apps-application-id-otp.md",
        "says": "SendOTPMessage; OTP is among the APIs the notice keeps.",
    },
    "verify-otp": {
        "url": "https://docs.aws.amazon.com/pinpoint/latest/apireference/apps-application-id-verify-otp.md",
        "says": "VerifyOTPMessage; OTP is among the APIs the notice keeps.",
    },
}

CUSTOMER_PROFILES = "Amazon Connect Customer Profiles"
OUTBOUND = "Amazon Connect outbound campaigns"
KINESIS = "Amazon Kinesis Data Streams or Amazon Data Firehose"
NONE_NAMED = None

# (pattern over the action name, fate, source, successor, why). First match wins; order matters.
RULES = [
    (r"(Create|Get|Update|Delete)(Adm|Apns|ApnsSandbox|ApnsVoip|ApnsVoipSandbox|Baidu|Gcm)Channel", "continues",
     "push", None, "a push channel of an application"),
    (r"(Get|Update|Delete)(Sms|Voice)Channel", "continues", "notice", None, "the SMS or voice channel"),
    (r"GetChannels", "continues", "push", None, "the channels of an application"),
    (r"(Create|Delete|Get)Apps?", "continues", "push", None, "applications, which End User Messaging Push uses"),
    (r"SendMessages", "continues", "push-send", None, "sends to addresses and devices"),
    (r"SendOTPMessage", "continues", "otp", None, "one-time passwords"),
    (r"VerifyOTPMessage", "continues", "verify-otp", None, "one-time passwords"),
    (r"PhoneNumberValidate", "continues", "notice", None, "phone number validate"),
    (r"(Tag|Untag)Resource|ListTagsForResource", "continues", "push", None,
     "tags on the applications that continue (tags on ended resources go with them)"),
    (r"(Get|Update)ApplicationSettings", "unclear", "notice", None,
     "application settings mix campaign defaults (ended) with the application's own; no page decides"),
    (r"(Create|Get)ImportJobs?|GetSegmentImportJobs", "ended", "segment-import",
     f"{CUSTOMER_PROFILES} (export the endpoints, then its S3 data integration)", "import jobs make segments"),
    (r"(Create|Get)ExportJobs?|GetSegmentExportJobs", "ended", "endpoint-export", CUSTOMER_PROFILES,
     "export jobs export endpoints"),
    (r"(Create|Get|Update|Delete)Segments?|GetSegmentVersions?", "ended", "notice",
     f"{CUSTOMER_PROFILES} segments", "segments"),
    (r"GetEndpoint|UpdateEndpoint|UpdateEndpointsBatch|DeleteEndpoint|GetUserEndpoints|DeleteUserEndpoints"
     r"|RemoveAttributes", "ended", "notice", CUSTOMER_PROFILES, "endpoints"),
    (r"SendUsersMessages", "ended", "amplify-migration", f"{CUSTOMER_PROFILES} with {OUTBOUND}",
     "sends to users through their endpoints"),
    (r".*Campaign.*", "ended", "notice", OUTBOUND, "campaigns"),
    (r".*Journey.*", "ended", "migrate", f"{OUTBOUND} (journeys)", "journeys"),
    (r"GetApplicationDateRangeKpi|GetReports", "ended", "notice", KINESIS, "analytics"),
    (r"PutEvents|(Put|Get|Delete)EventStream", "ended", "amplify-migration", KINESIS, "events and event streams"),
    (r"(Get|Update|Delete)EmailChannel", "ended", "email", "Amazon SES", "the email channel"),
    (r"GetInAppMessages", "ended", "notice", NONE_NAMED, "in-app messages"),
    (r".*Template.*|ListTemplates|ListTemplateVersions", "ended", "templates",
     "Amazon Q in Connect message templates", "message templates"),
    (r".*RecommenderConfigurations?", "ended", "notice", NONE_NAMED,
     "recommender models for campaigns and journeys"),
]


def classify(name):
    for pattern, fate, source, successor, why in RULES:
        if re.fullmatch(pattern, name):
            return {"action": name, "fate": fate, "source": SOURCES[source]["url"], "successor": successor,
                    "why": why}
    return None


def main(catalogue_path, out_path):
    with open(catalogue_path) as f:
        catalogue = json.load(f)
    names = sorted(catalogue["services"]["mobiletargeting"]["actions"])
    rows, missing = [], []
    for name in names:
        row = classify(name)
        (rows if row else missing).append(row or name)
    if missing:
        print("unclassified mobiletargeting actions (add a rule citing the page that decides each):",
              ", ".join(missing), file=sys.stderr)
        return 1
    counts = {fate: sum(r["fate"] == fate for r in rows) for fate in ("ended", "continues", "unclear")}
    table = {
        "end_of_support": END_OF_SUPPORT,
        "updated": UPDATED,
        "catalogue": catalogue["source"],
        "refresh": "scripts/refresh-end-of-support (after scripts/refresh-catalogue); README: "
        "'Pinpoint's end of support'",
        "counts": counts,
        "sources": [{"id": k, **v} for k, v in SOURCES.items()],
        "actions": rows,
    }
    with open(out_path, "w") as f:
        json.dump(table, f, indent=2)
        f.write("\n")
    print(f"{out_path}: {counts['ended']} ended, {counts['continues']} continue, {counts['unclear']} unclear")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
