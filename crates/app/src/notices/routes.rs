//! Notice routes and robot or webhook targets: who is told what, where (administrators).

use super::*;

impl App {
    pub async fn notice_routes(&self, actor: &Actor) -> Result<Vec<Route>> {
        actor.require(Action::ReadServicePolicy)?;
        self.routes(self.store.read()).await
    }

    pub async fn put_notice_route(&self, actor: &Actor, route: &Route) -> Result<Route> {
        actor.require(Action::ManageServicePolicy)?;
        let problems = route.problems();
        if !problems.is_empty() {
            return Err(DomainError::Invalid(problems).into());
        }
        let tx = self.store.write().await?;
        let targets = store::targets(&*tx).await?;
        if route.targets.iter().any(|n| !targets.iter().any(|t| &t.name == n)) {
            return Err(AppError::invalid("targets", Reason::Unknown));
        }
        let mut r = route.clone();
        if !r.channels.contains(&ChannelKind::InApp) {
            r.channels.insert(0, ChannelKind::InApp);
        }
        store::put_route(&*tx, &r).await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn notify_targets(&self, actor: &Actor) -> Result<Vec<TargetInfo>> {
        actor.require(Action::ManageServicePolicy)?;
        Ok(store::targets(self.store.read())
            .await?
            .into_iter()
            .map(|t| TargetInfo { name: t.name, kind: t.kind, url: t.url, has_secret: t.secret.is_some() })
            .collect())
    }

    pub async fn put_notify_target(&self, actor: &Actor, name: &str, input: &TargetInput) -> Result<TargetInfo> {
        let secret = input.secret.clone().map_or(SecretEdit::Remove, SecretEdit::Set);
        self.save_notify_target(actor, name, input.kind, &input.url, secret).await
    }

    /// Sets a robot or webhook target; its secret is kept, replaced or removed as `secret`
    /// says (a page never shows the stored secret, so an edit can only keep it).
    pub async fn save_notify_target(
        &self,
        actor: &Actor,
        name: &str,
        kind: ChannelKind,
        url: &str,
        secret: SecretEdit,
    ) -> Result<TargetInfo> {
        actor.require(Action::ManageServicePolicy)?;
        let tx = self.store.write().await?;
        let secret = match secret {
            SecretEdit::Keep => store::targets(&*tx).await?.into_iter().find(|t| t.name == name).and_then(|t| t.secret),
            SecretEdit::Set(s) => Some(s),
            SecretEdit::Remove => None,
        };
        let mut problems = Vec::new();
        if name.is_empty()
            || name.len() > 32
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            problems.push((
                "name",
                Reason::Malformed {
                    expected_en: "1 to 32 of a-z 0-9 _ -",
                    expected_zh: "1 至 32 个字母、数字、_ 或 -",
                },
            ));
        }
        if matches!(kind, ChannelKind::InApp | ChannelKind::Email) {
            problems.push((
                "kind",
                Reason::Mismatch {
                    detail_en: "must be wecom, dingtalk, feishu or webhook",
                    detail_zh: "须为企业微信、钉钉、飞书或 Webhook",
                },
            ));
        }
        let url = url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2000 {
            problems.push(("url", Reason::Malformed { expected_en: "an http(s) URL", expected_zh: "http(s) 网址" }));
        }
        if kind == ChannelKind::Webhook && secret.as_deref().is_none_or(|s| s.trim().len() < 16) {
            problems.push((
                "secret",
                Reason::Mismatch {
                    detail_en: "a generic webhook needs a secret of at least 16 characters",
                    detail_zh: "通用 Webhook 须设置至少 16 个字符的签名密钥",
                },
            ));
        }
        if !problems.is_empty() {
            return Err(DomainError::Invalid(problems).into());
        }
        let row = TargetRow {
            name: name.to_owned(),
            kind,
            url: url.to_owned(),
            secret: secret.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned),
        };
        store::put_target(&*tx, &row, self.now()).await?;
        tx.commit().await?;
        Ok(TargetInfo { name: row.name, kind: row.kind, url: row.url, has_secret: row.secret.is_some() })
    }
}
