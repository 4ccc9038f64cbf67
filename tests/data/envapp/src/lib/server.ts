import OpenAI from "openai";

export const openai = new OpenAI({ apiKey: process.env.OPENAI_API_KEY });
export const admin = process.env.SUPABASE_SERVICE_ROLE_KEY;
export const region = process.env.FLY_REGION;
