import { assertStatus } from '../../lib/api.js';
import { GetCommand } from '../../lib/get-command.js';

export default class UserGet extends GetCommand {
  static summary = 'Get profile information for a user.';
  static texts = { 'user-id': { description: 'The user ID to get information for; omit to get your own' } };
  static fields = [
    ['ID', (u) => u.userId],
    ['Name', (u) => `${u.person.firstName} ${u.person.lastName}`],
    ['Email', (u) => u.email],
    ['Registered', (u) => u.registeredAt],
  ];

  async getData(args) {
    return assertStatus(await this.apiClient.user.getUser({ userId: args['user-id'] }), 200);
  }
}
