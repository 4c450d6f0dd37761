import type { Command, Io, Options } from '../command';
import { EltError, ExitCode, type ExitCodeValue } from '../../core/errors';
import { formatMs } from '../../core/log';
import { S3_FLAGS, S3_HELP, s3SettingsOf, sourceOf } from '../options';

/** `elt upload`: put local lake files under an S3 prefix (multipart). */
async function upload(options: Options, io: Io): Promise<ExitCodeValue> {
  const target = options.to as string | undefined;
  if (!target) throw new EltError('no target: pass --to s3://<bucket>/<prefix>/', ExitCode.usage);
  const started = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: the AWS SDK loads only for commands that talk to S3
  const { uploadLake } = require('../../loader/sources/s3/s3-upload') as typeof import('../../loader/sources/s3/s3-upload');
  const uploaded = await uploadLake(sourceOf(options, io.env), target, s3SettingsOf(options, io.env), io.log, {
    createBucket: options['create-bucket'] === true,
  });
  const bytes = uploaded.reduce((sum, object) => sum + object.bytes, 0);
  io.stdout.write(
    `uploaded ${uploaded.length} files (${bytes.toLocaleString('en-US')} bytes) to ${target} in ${formatMs(performance.now() - started)}\n`,
  );
  return ExitCode.ok;
}

export const uploadCommand: Command = {
  name: 'upload',
  summary: 'put local lake files under an S3 prefix (multipart upload)',
  usage: 'elt upload --source <dir|file> --to s3://<bucket>/<prefix>/ [options]',
  options: { source: { type: 'string' }, to: { type: 'string' }, 'create-bucket': { type: 'boolean' }, ...S3_FLAGS },
  optionHelp: [
    '--source <path>             local lake directory or file [env ELT_SOURCE]',
    '--to <s3-uri>               target bucket and prefix',
    '--create-bucket             create the bucket when it does not exist',
    ...S3_HELP,
  ],
  example:
    'npm run elt -- upload --source tests/fixtures/lake-sample --to s3://lake/lake/ --endpoint-url http://127.0.0.1:9000 --create-bucket   # a MinIO on port 9000',
  run: upload,
};
