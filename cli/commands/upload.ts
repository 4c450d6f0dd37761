import { defineCommand, type CommandInput, type Io } from '../command';
import { EltError, ExitCode, type ExitCodeValue } from '../../core/errors';
import { formatMs } from '../../core/log';
import { S3_SETTINGS, s3SettingsOf, sourceOf } from '../options';

const UPLOAD_SETTINGS = ['source', 'uploadTo', 'createBucket', ...S3_SETTINGS] as const;

/** `elt upload`: put local lake files under an S3 prefix (multipart). */
async function upload({ settings, options }: CommandInput<(typeof UPLOAD_SETTINGS)[number]>, io: Io): Promise<ExitCodeValue> {
  const target = settings.uploadTo;
  if (!target) throw new EltError('no target: pass --to s3://<bucket>/<prefix>/', ExitCode.usage);
  const started = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: the AWS SDK loads only for commands that talk to S3
  const { uploadLake } = require('../../loader/sources/s3/s3-upload') as typeof import('../../loader/sources/s3/s3-upload');
  const uploaded = await uploadLake(sourceOf(options, io.env), target, s3SettingsOf(options, io.env), io.log, {
    createBucket: settings.createBucket,
  });
  const bytes = uploaded.reduce((sum, object) => sum + object.bytes, 0);
  io.stdout.write(
    `uploaded ${uploaded.length} files (${bytes.toLocaleString('en-US')} bytes) to ${target} in ${formatMs(performance.now() - started)}\n`,
  );
  return ExitCode.ok;
}

export const uploadCommand = defineCommand({
  name: 'upload',
  summary: 'put local lake files under an S3 prefix (multipart upload)',
  settings: UPLOAD_SETTINGS,
  example:
    'npm run elt -- upload --source tests/fixtures/lake-sample --to s3://lake/lake/ --endpoint-url http://127.0.0.1:9000 --create-bucket   # a MinIO on port 9000',
  action: upload,
});
