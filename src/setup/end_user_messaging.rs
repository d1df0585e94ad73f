//! The messaging APIs that outlive Amazon Pinpoint (its end of support, 2026-10-30): a policy, a user with it
//! attached, and the user's access key, for a client that signs its own requests (the Postman guide's purpose,
//! today). Not one of AWS's guides, so its document is ours and the tightened form is the same document.
//!
//! The document is written from AWS's identity-policy examples for the services that continue:
//! - End User Messaging SMS and Voice v2 (`sms-voice`):
//!   <https://docs.aws.amazon.com/sms-voice/latest/userguide/security_iam_id-based-policy-examples.html>
//!   ("Examples: Providing access to AWS End User Messaging SMS and Voice v2 API actions"), and the actions and
//!   resource types of <https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsendusermessagingsmsandvoicev2.html>
//!   (in `assets/iam-catalogue.json`);
//! - End User Messaging Push, which still uses the Pinpoint API (`mobiletargeting`):
//!   <https://docs.aws.amazon.com/push-notifications/latest/userguide/security_iam_id-based-policy-examples.html>;
//! - End User Messaging's own namespaces: <https://docs.aws.amazon.com/end-user-messaging/latest/userguide/nx-security-iam-id-based-examples.html>.
//!
//! It allows sending (SMS, MMS, voice; push, OTP and phone-number validation on the chosen project) and the reads a
//! sender needs, in the account and Region only, and no wildcard: no action is granted that ended with Pinpoint,
//! and nothing that manages numbers, pools, registrations, opt-outs or IAM.

use super::registry::{NameField, Param, PolicyDef, SetupDef, UserDef};
use super::template::{DocKind, template};
use super::values::IamKind;

template!(END_USER_MESSAGING, DocKind::Policy, "policies/end-user-messaging.json");

pub static POLICY: NameField = NameField {
    flag: "--end-user-messaging-policy-name",
    label: "End User Messaging policy",
    kind: IamKind::Policy,
    default: "EndUserMessagingPolicy",
};
pub static USER: NameField = NameField {
    flag: "--end-user-messaging-user-name",
    label: "End User Messaging user",
    kind: IamKind::User,
    default: "EndUserMessagingUser",
};

pub static SETUP: SetupDef = SetupDef {
    id: "end-user-messaging",
    title: "End User Messaging (SMS, voice, push, OTP)",
    gist: "a sender user for SMS, voice, push and OTP",
    creates: &[
        "policy EndUserMessagingPolicy: SMS, MMS and voice sending, push, OTP and phone-number validation",
        "user EndUserMessagingUser, with the policy attached",
        "one access key (the secret is shown once)",
    ],
    warnings: &["IAM users have long-term credentials, a security risk: give them only the permissions they need, \
                 and remove them when no longer needed."],
    end_of_support: None,
    params: &[Param::Project],
    names: &[&POLICY, &USER],
    policies: &[PolicyDef { name: &POLICY, document: &END_USER_MESSAGING, tightened: &END_USER_MESSAGING }],
    users: &[UserDef { name: &USER, policies: &[&POLICY], access_key: true }],
    roles: &[],
    next: |n| {
        format!(
            "End User Messaging: sign SMS and voice (sms-voice v2) and push/OTP (Pinpoint API) requests with {}'s \
             access key; only the chosen project and this Region are allowed.",
            n.get(&USER)
        )
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::catalogue;
    use crate::setup::evaluate::{Call, allows};
    use crate::setup::findings::{Severity, of_document};
    use crate::setup::{Params, Selection};
    use serde_json::Value;

    const ACCOUNT: &str = "210987654321";
    const REGION: &str = "eu-west-1";
    const PROJECT: &str = "0123456789abcdef0123456789abcdef";

    fn params(tighten: bool) -> Params {
        let mut p =
            Params::new("end-user-messaging".parse().unwrap(), ACCOUNT.parse().unwrap(), REGION.parse().unwrap());
        p.project = Some(PROJECT.parse().unwrap());
        p.tighten = tighten;
        p
    }

    fn document() -> Value {
        let d = params(false).desired().unwrap();
        assert_eq!(d.policies.len(), 1);
        d.policies[0].document.clone()
    }

    fn sms(kind: &str, id: &str) -> String {
        format!("arn:aws:sms-voice:{REGION}:{ACCOUNT}:{kind}/{id}")
    }

    fn app(rest: &str) -> String {
        format!("arn:aws:mobiletargeting:{REGION}:{ACCOUNT}:apps/{PROJECT}/{rest}")
    }

    /// Whether the policy allows `action` on `resource`, the request made in `region`.
    fn allowed_in(doc: &Value, action: &str, resource: &str, region: &str) -> bool {
        let context = [("aws:RequestedRegion", region)];
        let call = Call { action, resource, context: &context };
        allows(catalogue::get().unwrap(), &[doc], &call).unwrap_or_else(|e| panic!("{action}: {e}"))
    }

    /// Every call a sender makes, with the resource it acts on.
    fn sender_calls() -> Vec<(&'static str, String)> {
        let phone = sms("phone-number", "phone-1234");
        let pool = sms("pool", "pool-1234");
        let opt_out = sms("opt-out-list", "Default");
        let validate = format!("arn:aws:mobiletargeting:{REGION}:{ACCOUNT}:phone/number/validate");
        vec![
            ("sms-voice:SendTextMessage", phone.clone()),
            ("sms-voice:SendTextMessage", pool.clone()),
            ("sms-voice:SendTextMessage", sms("sender-id", "MyBrand/GB")),
            ("sms-voice:SendTextMessage", sms("configuration-set", "transactional")),
            ("sms-voice:SendMediaMessage", phone.clone()),
            ("sms-voice:SendVoiceMessage", "*".into()),
            ("sms-voice:DescribePhoneNumbers", phone),
            ("sms-voice:DescribePools", pool.clone()),
            ("sms-voice:ListPoolOriginationIdentities", pool.clone()),
            ("sms-voice:DescribeSenderIds", sms("sender-id", "MyBrand/GB")),
            ("sms-voice:DescribeOptOutLists", opt_out.clone()),
            ("sms-voice:DescribeOptedOutNumbers", opt_out),
            ("sms-voice:DescribeConfigurationSets", sms("configuration-set", "transactional")),
            ("sms-voice:DescribeKeywords", pool),
            ("sms-voice:DescribeVerifiedDestinationNumbers", sms("verified-destination-number", "vdn-1")),
            ("sms-voice:DescribeSpendLimits", "*".into()),
            ("sms-voice:DescribeAccountAttributes", "*".into()),
            ("sms-voice:DescribeAccountLimits", "*".into()),
            ("mobiletargeting:SendMessages", app("messages")),
            ("mobiletargeting:SendOTPMessage", app("otp")),
            ("mobiletargeting:VerifyOTPMessage", app("verify-otp")),
            ("mobiletargeting:PhoneNumberValidate", validate),
        ]
    }

    #[test]
    fn the_policy_allows_every_call_a_sender_makes_in_the_region() {
        let doc = document();
        for (action, resource) in sender_calls() {
            assert!(allowed_in(&doc, action, &resource, REGION), "a sender must be allowed {action} on {resource}");
        }
    }

    #[test]
    fn the_policy_allows_nothing_outside_the_account_region_and_project() {
        let doc = document();
        let elsewhere = [
            ("sms-voice:SendTextMessage", "arn:aws:sms-voice:us-east-1:210987654321:phone-number/p".to_string()),
            ("sms-voice:SendTextMessage", "arn:aws:sms-voice:eu-west-1:111122223333:phone-number/p".to_string()),
            ("mobiletargeting:SendMessages", format!("arn:aws:mobiletargeting:{REGION}:{ACCOUNT}:apps/other/messages")),
        ];
        for (action, resource) in elsewhere {
            assert!(!allowed_in(&doc, action, &resource, REGION), "{action} on {resource}");
        }
        assert!(!allowed_in(&doc, "sms-voice:SendVoiceMessage", "*", "us-east-1"), "voice from another Region");
    }

    #[test]
    fn the_policy_denies_management_ended_actions_and_iam() {
        let doc = document();
        let phone = sms("phone-number", "phone-1234");
        let pool = sms("pool", "pool-1234");
        let opt_out = sms("opt-out-list", "Default");
        let project = format!("arn:aws:mobiletargeting:{REGION}:{ACCOUNT}:apps/{PROJECT}");
        let denied = [
            ("sms-voice:RequestPhoneNumber", pool.clone()),
            ("sms-voice:ReleasePhoneNumber", phone.clone()),
            ("sms-voice:UpdatePhoneNumber", phone.clone()),
            ("sms-voice:CreatePool", phone),
            ("sms-voice:DeletePool", pool.clone()),
            ("sms-voice:UpdatePool", pool),
            ("sms-voice:CreateRegistration", "*".into()),
            ("sms-voice:DeleteRegistration", sms("registration", "reg-1")),
            ("sms-voice:SubmitRegistrationVersion", sms("registration", "reg-1")),
            ("sms-voice:CreateOptOutList", "*".into()),
            ("sms-voice:DeleteOptOutList", opt_out.clone()),
            ("sms-voice:PutOptedOutNumber", opt_out.clone()),
            ("sms-voice:DeleteOptedOutNumber", opt_out),
            ("sms-voice:SetTextMessageSpendLimitOverride", "*".into()),
            ("sms-voice:PutResourcePolicy", sms("pool", "pool-1234")),
            ("mobiletargeting:CreateSegment", project.clone()),
            ("mobiletargeting:SendUsersMessages", app("messages")),
            ("mobiletargeting:UpdateEndpoint", app("endpoints/e")),
            ("mobiletargeting:CreateImportJob", project.clone()),
            ("mobiletargeting:DeleteApp", project),
            ("iam:CreateAccessKey", format!("arn:aws:iam::{ACCOUNT}:user/EndUserMessagingUser")),
            ("iam:AttachUserPolicy", format!("arn:aws:iam::{ACCOUNT}:user/EndUserMessagingUser")),
            ("iam:PassRole", format!("arn:aws:iam::{ACCOUNT}:role/Any")),
        ];
        for (action, resource) in denied {
            assert!(!allowed_in(&doc, action, &resource, REGION), "{action} on {resource} must be denied");
        }
    }

    #[test]
    fn the_document_has_no_error_security_warning_or_ended_action_and_tightening_changes_nothing() {
        for tighten in [false, true] {
            let d = params(tighten).desired().unwrap();
            for view in d.documents() {
                let f = of_document(&d, &view);
                let serious: Vec<_> = f.iter().filter(|f| f.severity <= Severity::SecurityWarning).collect();
                assert!(serious.is_empty(), "{}: {serious:#?}", view.title);
                assert!(!f.iter().any(|f| f.message.contains("ended")), "{}: {f:#?}", view.title);
            }
        }
        assert_eq!(params(true).desired().unwrap(), params(false).desired().unwrap(), "the document is ours: one form");
        // Every mobiletargeting action it names continues, by the end-of-support table.
        let table = crate::setup::end_of_support::get().unwrap();
        let named: Vec<String> = sender_calls()
            .into_iter()
            .filter_map(|(a, _)| a.strip_prefix("mobiletargeting:").map(String::from))
            .collect();
        assert_eq!(named.len(), 4);
        for name in &named {
            let verdict = crate::setup::end_of_support::judge(table, &[name.as_str()]);
            assert_eq!(verdict, crate::setup::end_of_support::Verdict::Continues, "{name}");
        }
        let grants = crate::setup::findings::pinpoint_grants(catalogue::get().unwrap(), table, &document());
        assert!(grants.is_empty(), "it grants nothing that ended or that no page decides: {grants:?}");
    }

    #[test]
    fn it_is_offered_alone_and_beside_the_guides_not_in_all() {
        let alone: Selection = "end-user-messaging".parse().unwrap();
        assert_eq!(alone.setups().map(|s| s.id).collect::<Vec<_>>(), ["end-user-messaging"]);
        let beside: Selection = "all+end-user-messaging".parse().unwrap();
        assert_eq!(
            beside.setups().map(|s| s.id).collect::<Vec<_>>(),
            ["postman", "segment-import", "end-user-messaging"]
        );
        assert!(!Selection::all().setups().any(|s| std::ptr::eq(s, &SETUP)));
    }
}
