import { findMariadbd, startPrivateMariadb, type PrivateMariadb } from '../helpers/private-mariadb.js';

/**
 * Declares fault tests on a private MariaDB server started for them (and destroyed after them).
 * They run wherever a mariadbd binary exists. Without one they are skipped, with a note, unless
 * WEBHOOKS_TEST_MYSQL_URL is set (CI): there a server that cannot start fails the suite.
 */
export function describeWithPrivateMariadb(title: string, body: (server: () => PrivateMariadb) => void): void {
  describe(`${title} [private MariaDB]`, function () {
    let server: PrivateMariadb | undefined;
    before(async function () {
      this.timeout(90_000);
      if (!findMariadbd() && !process.env.WEBHOOKS_TEST_MYSQL_URL) {
        console.log('      (skipped: no mariadbd binary; set WEBHOOKS_TEST_MARIADBD, or WEBHOOKS_TEST_MYSQL_URL to make this fail instead)');
        this.skip();
      }
      server = await startPrivateMariadb();
    });
    after(async function () {
      this.timeout(60_000);
      await server?.destroy();
    });
    body(() => {
      if (!server) throw new Error('the private MariaDB server is not running');
      return server;
    });
  });
}
