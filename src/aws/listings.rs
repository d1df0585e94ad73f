//! Listings the wizard offers as choices: S3 buckets and Pinpoint projects.

use super::{Aws, AwsError};
use crate::aws::error::map_sdk;

/// A Pinpoint project as the picker shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: String,
    pub name: String,
}

impl Aws {
    /// S3 ListBuckets (every page, through the SDK's paginator).
    pub async fn list_buckets(&self) -> Result<Vec<String>, AwsError> {
        self.check_credentials().await?;
        let mut pages = self.s3().list_buckets().into_paginator().send();
        let mut names = Vec::new();
        while let Some(page) = pages.next().await {
            self.calls.tick();
            let out = page.map_err(|e| map_sdk(&self.site("s3:ListAllMyBuckets", "the account's buckets"), e))?;
            names.extend(out.buckets().iter().filter_map(|b| b.name().map(str::to_string)));
        }
        names.sort();
        Ok(names)
    }

    /// Pinpoint GetApps in the configured Region (every page). aws-sdk-pinpoint has no paginator for GetApps
    /// (its token sits inside `ApplicationsResponse`), so the pages are followed here.
    pub async fn list_projects(&self) -> Result<Vec<Project>, AwsError> {
        self.check_credentials().await?;
        let client = self.pinpoint();
        let mut projects = Vec::new();
        let mut token: Option<String> = None;
        loop {
            self.calls.tick();
            let out = client
                .get_apps()
                .set_token(token.take())
                .page_size("100")
                .send()
                .await
                .map_err(|e| map_sdk(&self.site("mobiletargeting:GetApps", "the Region's projects"), e))?;
            let Some(page) = out.applications_response() else { break };
            projects.extend(page.item().iter().map(|a| Project {
                id: a.id().unwrap_or_default().to_string(),
                name: a.name().unwrap_or_default().to_string(),
            }));
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        projects.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(projects)
    }
}
