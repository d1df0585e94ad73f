//! The Regions the wizard knows are the AWS CLI's: every Region of botocore's `partitions.json` (in the tests'
//! venv) that is a Region's form is in `aws::regions::KNOWN`, and nothing else is.

mod support;

use pinpoint_iam_wizard::aws::regions::KNOWN;
use pinpoint_iam_wizard::setup::Region;
use std::process::Command;
use support::root;

#[test]
fn the_known_regions_are_the_aws_clis() {
    let code = "import botocore, json, os\n\
                p = os.path.join(os.path.dirname(botocore.__file__), 'data', 'partitions.json')\n\
                for part in json.load(open(p))['partitions']:\n    print('\\n'.join(part['regions']))";
    let out = Command::new(root().join("target/moto-venv/bin/python")).args(["-c", code]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    // The partitions' global pseudo-Regions (aws-global) and names outside the Region form are not typed here.
    let mut cli: Vec<&str> = text.lines().filter(|r| Region::parse("r", r).is_ok()).collect();
    let mut ours = KNOWN.to_vec();
    cli.sort_unstable();
    ours.sort_unstable();
    assert!(cli.len() > 30, "botocore's list looks wrong: {cli:?}");
    assert_eq!(ours, cli);
}
