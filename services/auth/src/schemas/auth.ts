import { Type, type Static } from '@sinclair/typebox';

const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 });
// 8..128: NIST SP 800-63B minimum length, and an upper bound so hashing cost is bounded.
const Password = Type.String({ minLength: 8, maxLength: 128 });

export const CredentialsSchema = Type.Object({ email: Email, password: Password }, { additionalProperties: false });
export type Credentials = Static<typeof CredentialsSchema>;

export const LoginSchema = Type.Object(
  {
    email: Email,
    password: Password,
    mode: Type.Optional(Type.Union([Type.Literal('token'), Type.Literal('cookie')], { default: 'token', description: "'token': bearer + refresh token; 'cookie': a session cookie" })),
  },
  { additionalProperties: false },
);
export type Login = Static<typeof LoginSchema>;

export const RefreshSchema = Type.Object({ refreshToken: Type.String({ minLength: 10, maxLength: 200 }) }, { additionalProperties: false });

export const UserSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  email: Type.String({ maxLength: 254 }),
  role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
});

export const TokenPairSchema = Type.Object({
  tokenType: Type.Literal('Bearer'),
  accessToken: Type.String({ maxLength: 4096 }),
  expiresIn: Type.Integer({ description: 'access-token lifetime in seconds' }),
  refreshToken: Type.String({ maxLength: 200 }),
});

export const SessionLoginSchema = Type.Object({ user: UserSchema, sessionExpiresAt: Type.String({ format: 'date-time' }) });

export const JwksSchema = Type.Object({
  keys: Type.Array(Type.Object({ kty: Type.String(), crv: Type.String(), x: Type.String(), y: Type.String(), kid: Type.String(), alg: Type.String(), use: Type.String() }), { maxItems: 10 }),
});
