//! Attachments: images and files sent in a conversation. Stored under the data
//! directory; fetched through a capability URL (`/api/v1/files/{id}/{key}`)
//! because the visitor's browser has no session. The type is decided by the
//! bytes, not by what the client claims, and only inert types are served
//! inline — an uploaded HTML or SVG page could otherwise run script on our origin.

use crate::{secrets, App, AppError, AppResult, Principal};
use kefu_domain::{AttachmentId, ValidationError};
use kefu_store::{attachments, Attachment, TenantScope};
use std::path::PathBuf;

pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// What the bytes are: an image type we show inline, or an allowed document.
fn sniff(bytes: &[u8], name: &str) -> Option<&'static str> {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Some("image/gif");
    }
    if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    if bytes.starts_with(b"%PDF-") {
        return Some("application/pdf");
    }
    // Office documents and archives are zip containers; old Office files are OLE.
    if bytes.starts_with(b"PK\x03\x04") && matches!(ext.as_str(), "zip" | "docx" | "xlsx" | "pptx")
    {
        return Some("application/octet-stream");
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) && matches!(ext.as_str(), "doc" | "xls" | "ppt")
    {
        return Some("application/octet-stream");
    }
    if matches!(ext.as_str(), "txt" | "csv" | "log") && std::str::from_utf8(bytes).is_ok() {
        return Some("text/plain; charset=utf-8");
    }
    None
}

fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("file");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>'))
        .take(120)
        .collect();
    if cleaned.trim().is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

/// A stored file as a download link (name and capability URL).
#[derive(Debug, Clone)]
pub struct FileLink {
    pub id: String,
    pub name: String,
    pub size: i64,
    pub url: String,
}

/// The capability URL of a stored attachment (its key is the path's suffix).
pub fn file_url(a: &Attachment) -> String {
    let key = a.path.rsplit_once('.').map(|(_, k)| k).unwrap_or("");
    format!("/api/v1/files/{}/{key}", a.id)
}

impl App {
    /// Upload a file for a ticket form's attachment field: anyone who works on
    /// tickets may; the file is stored like a chat attachment, in their tenant.
    pub async fn save_ticket_attachment(
        &self,
        p: &Principal,
        name: &str,
        bytes: &[u8],
    ) -> AppResult<(Attachment, String)> {
        crate::tickets::require_tickets(p)?;
        self.save_attachment(&p.tenant, None, name, bytes).await
    }

    /// May `p` upload ticket attachments (checked before the body is read).
    pub fn may_attach_to_tickets(&self, p: &Principal) -> AppResult<()> {
        crate::tickets::require_tickets(p)
    }

    /// Download links for attachment ids of the tenant; unknown ids are skipped.
    /// The caller decides who may see them (the ticket page checks the ticket).
    pub async fn file_links(
        &self,
        scope: &TenantScope,
        ids: &[String],
    ) -> AppResult<Vec<FileLink>> {
        let mut conn = self.store.conn().await?;
        let mut out = Vec::new();
        for raw in ids {
            let Some(id) = AttachmentId::parse(raw) else {
                continue;
            };
            if let Some(a) = attachments::get(&mut conn, scope, &id.to_string()).await? {
                out.push(FileLink {
                    url: file_url(&a),
                    id: a.id,
                    name: a.name,
                    size: a.size,
                });
            }
        }
        Ok(out)
    }

    pub async fn save_attachment(
        &self,
        scope: &TenantScope,
        visitor_id: Option<&str>,
        name: &str,
        bytes: &[u8],
    ) -> AppResult<(Attachment, String)> {
        if bytes.is_empty() {
            return Err(ValidationError::new("file", "is empty").into());
        }
        if bytes.len() > MAX_BYTES {
            return Err(ValidationError::new("file", "must be at most 10 MiB").into());
        }
        let name = clean_name(name);
        let content_type = sniff(bytes, &name).ok_or_else(|| {
            AppError::Validation(ValidationError::new("file", "only images (PNG, JPEG, GIF, WebP), PDF, Office documents, ZIP and plain text are accepted"))
        })?;
        let id = AttachmentId::new().to_string();
        let key = secrets::random_token(18);
        // '.' cannot occur in a base64url key, so it separates id and key unambiguously.
        let rel = format!("{}/{}.{}", scope.tenant_id(), id, key);
        let path: PathBuf = self.files_dir.join(&rel);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| AppError::Internal(format!("cannot create {}: {e}", dir.display())))?;
        }
        tokio::fs::write(&path, bytes)
            .await
            .map_err(|e| AppError::Internal(format!("cannot write attachment: {e}")))?;
        let mut conn = self.store.conn().await?;
        attachments::create(
            &mut conn,
            scope,
            &attachments::NewAttachment {
                id: &id,
                visitor_id,
                name: &name,
                content_type,
                size: bytes.len() as i64,
                path: &rel,
            },
        )
        .await?;
        let a = attachments::get(&mut conn, scope, &id)
            .await?
            .ok_or(AppError::NotFound("attachment"))?;
        let url = file_url(&a);
        Ok((a, url))
    }

    /// Bytes and type of an attachment, if the key matches.
    pub async fn read_attachment(&self, id: &str, key: &str) -> AppResult<(Attachment, Vec<u8>)> {
        let id = AttachmentId::parse(id)
            .ok_or(AppError::NotFound("file"))?
            .to_string();
        let mut conn = self.store.conn().await?;
        let (_, a) = attachments::get_unscoped(&mut conn, &id)
            .await?
            .ok_or(AppError::NotFound("file"))?;
        let stored_key = a.path.rsplit_once('.').map(|(_, k)| k).unwrap_or("");
        if !secrets::constant_time_eq(stored_key, key) {
            return Err(AppError::NotFound("file"));
        }
        let bytes = tokio::fs::read(self.files_dir.join(&a.path))
            .await
            .map_err(|_| AppError::NotFound("file"))?;
        Ok((a, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bytes_decide_the_type() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest", "a.png"), Some("image/png"));
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\nrest", "a.html"),
            Some("image/png"),
            "the name does not matter for images"
        );
        assert_eq!(
            sniff(b"<html><script>alert(1)</script>", "a.png"),
            None,
            "a page posing as an image is refused"
        );
        assert_eq!(sniff(b"<svg onload=alert(1)>", "a.svg"), None);
        assert_eq!(
            sniff(b"hello", "notes.txt"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("报价单\".pdf"), "报价单.pdf");
    }
}
