//! The Regions AWS has, as the AWS CLI knows them (botocore's `partitions.json`), so a Region that only looks
//! like one (`zz-east-9`) is flagged before it ends up in an ARN or a host name.

use crate::setup::Region;

/// Every Region of every partition (the partitions' global pseudo-Regions left out). tests/regions.rs checks
/// that each Region of the AWS CLI's data is here.
pub const KNOWN: &[&str] = &[
    // aws
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eusc-de-east-1",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "me-west-1",
    "mx-central-1",
    "sa-east-1",
    "sa-west-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    // aws-cn
    "cn-north-1",
    "cn-northwest-1",
    // aws-us-gov
    "us-gov-east-1",
    "us-gov-west-1",
    // aws-iso, aws-iso-b, aws-iso-e, aws-iso-f
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isob-west-1",
    "eu-isoe-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
];

/// Why a well-formed Region name is not one AWS has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{region}: AWS has no Region of this name (they are named like eu-west-1 or us-east-2; \
     `aws account list-regions` lists yours)"
)]
pub struct UnknownRegion {
    pub region: String,
}

/// The Region, if AWS has it.
pub fn check(region: &Region) -> Result<(), UnknownRegion> {
    if KNOWN.contains(&region.as_str()) { Ok(()) } else { Err(UnknownRegion { region: region.to_string() }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_regions_pass_and_look_alikes_are_named() {
        for r in ["eu-west-1", "us-gov-west-1", "cn-north-1", "us-isof-south-1"] {
            assert_eq!(check(&Region::parse("r", r).unwrap()), Ok(()), "{r}");
        }
        let e = check(&Region::parse("r", "zz-east-9").unwrap()).unwrap_err();
        assert!(e.to_string().starts_with("zz-east-9: AWS has no Region"), "{e}");
        for r in KNOWN {
            assert!(Region::parse("r", r).is_ok(), "{r} is not well-formed");
        }
    }
}
