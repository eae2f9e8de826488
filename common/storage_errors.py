"""What a file storage raises when it cannot store or read (the disk of FileSystemStorage, the
S3 server of django-storages): caught by the upload paths, which answer "try again later"
instead of a server error. Part of the ground floor (docs/architecture.md): it imports no app."""

from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import BotoCoreError, ClientError

STORAGE_ERRORS: tuple[type[Exception], ...] = (OSError, BotoCoreError, ClientError, S3UploadFailedError)
