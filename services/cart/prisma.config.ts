import { servicePrismaConfig } from '@anypod/platform/prisma-config';

export default servicePrismaConfig('cart');
