#!/bin/sh
# Create the service's bucket and a service account (DUB_S3_ACCESS_KEY) whose policy allows that
# bucket only; workers and the starter use that account, never the root credentials. Safe to run
# again: an existing bucket, user or policy is kept (the user's secret is reset to
# DUB_S3_SECRET_KEY). Runs in minio/mc; docker-compose.yml runs it as minio-setup.
set -eu

: "${MINIO_ROOT_USER:?MINIO_ROOT_USER is required}"
: "${MINIO_ROOT_PASSWORD:?MINIO_ROOT_PASSWORD is required}"
: "${DUB_S3_ACCESS_KEY:?DUB_S3_ACCESS_KEY is required}"
: "${DUB_S3_SECRET_KEY:?DUB_S3_SECRET_KEY is required}"
URL=${MINIO_URL:-http://minio:9000}
BUCKET=${DUB_BUCKET:-dubbing}
POLICY=${BUCKET}-readwrite
ATTEMPTS=${SETUP_ATTEMPTS:-30}

n=1
until mc alias set store "$URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null 2>&1 \
    && mc ready store >/dev/null 2>&1; do
  if [ "$n" -ge "$ATTEMPTS" ]; then
    echo "MinIO at $URL did not answer after $n attempts" >&2
    exit 1
  fi
  echo "waiting for MinIO at $URL (attempt $n/$ATTEMPTS)"
  n=$((n + 1))
  sleep 2
done

mc mb --ignore-existing "store/$BUCKET"

policy_file=$(mktemp)
trap 'rm -f "$policy_file"' EXIT
cat >"$policy_file" <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
      "Resource": ["arn:aws:s3:::$BUCKET"]
    },
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                 "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
      "Resource": ["arn:aws:s3:::$BUCKET/*"]
    }
  ]
}
EOF
mc admin policy create store "$POLICY" "$policy_file"
mc admin user add store "$DUB_S3_ACCESS_KEY" "$DUB_S3_SECRET_KEY"
if ! out=$(mc admin policy attach store "$POLICY" --user "$DUB_S3_ACCESS_KEY" 2>&1); then
  # Attaching a policy the user already has is reported as an error; anything else is one.
  if ! mc admin user info store "$DUB_S3_ACCESS_KEY" | grep -q "$POLICY"; then
    echo "$out" >&2
    exit 1
  fi
fi
echo "bucket $BUCKET ready; account $DUB_S3_ACCESS_KEY may use it (policy $POLICY)"
