import { assertStatus } from '../../lib/api.js';
import { ListCommand } from '../../lib/list-command.js';

export default class OrgList extends ListCommand {
  static summary = 'Get all organizations you have access to';
  static columns = [
    { header: 'ID', value: (c) => c.customerId },
    { header: 'Number', value: (c) => c.customerNumber },
    { header: 'Name', value: (c) => c.name },
    { header: 'Projects', value: (c) => c.projectCount, extended: true },
    { header: 'Created', value: (c) => c.creationDate, extended: true },
  ];

  async getData() {
    return assertStatus(await this.apiClient.customer.listCustomers(), 200);
  }
}
